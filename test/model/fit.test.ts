/**
 * The fit check in a real model process: node-llama-cpp's insights from real GGUF headers, read
 * from disk and over HTTP (byte ranges, from a server on 127.0.0.1), and the file-size estimate
 * when a header cannot be read; `tokentree models` as a contract.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ModelProcess } from '../../src/model-process/client';
import { estimateFromFileSize } from '../../src/models/fit-verdict';
import { MODEL_PRESETS } from '../../src/models/presets';
import { beginRange } from '../support/range-server';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

describe('fit check (model process, real headers)', function () {
  this.timeout(60_000);
  let process: ModelProcess;
  let server: Server;
  let base: string;
  const requested: string[] = [];

  before(async () => {
    requireTestModel();
    const file = readFileSync(TEST_MODEL);
    server = createServer((req, res) => {
      requested.push(req.headers.range ?? 'whole');
      const range = beginRange(req, res, file.length);
      if (range) res.end(file.subarray(range.start, range.end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process = new ModelProcess();
  });
  after(async () => {
    await process?.close();
    server?.close();
  });

  it('estimates from the header, the same on disk and over HTTP, and more than the weights alone', async () => {
    const { budget, fits } = await process.fit(false, [{ uri: TEST_MODEL }, { uri: `${base}/model.gguf` }], 10_000);
    assert.equal(budget.kind, 'RAM');
    assert.ok(budget.totalBytes > 1e9);
    const [local, remote] = fits;
    assert.equal(local!.basis, 'header');
    assert.equal(remote!.basis, 'header');
    assert.equal(remote!.neededBytes, local!.neededBytes);
    assert.ok(local!.neededBytes > statSync(TEST_MODEL).size, `${local!.neededBytes} bytes for a ${statSync(TEST_MODEL).size}-byte file`);
    assert.equal(local!.verdict, 'fits');
  });

  it('a header that cannot be read: the file size stands in and says why; without a size, an error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/m.gguf`;
    await new Promise((r) => closed.close(r));
    const { fits } = await process.fit(false, [{ uri: url, sizeBytes: 2e9 }], 3000);
    assert.equal(fits[0]!.basis, 'file size');
    assert.equal(fits[0]!.neededBytes, estimateFromFileSize(2e9));
    assert.ok(fits[0]!.headerError, 'says why');
    await assert.rejects(process.fit(false, [{ uri: url }], 3000), /the header of .* could not be read/);
  });

  it('tokentree models --json: every preset with its size, need, verdict and basis', async () => {
    const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
    const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(global.process.execPath, [cli, 'models', '--json', '--cpu', '--timeout-ms', '3000']);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(out.status, 0, out.stderr);
    const report = JSON.parse(out.stdout) as { budget: { kind: string }; models: { id: string; sizeBytes: number; neededBytes: number; verdict: string; basis: string }[] };
    assert.equal(report.budget.kind, 'RAM');
    assert.deepEqual(report.models.map((m) => m.id), MODEL_PRESETS.map((p) => p.id));
    for (const m of report.models) {
      assert.ok(m.neededBytes > m.sizeBytes, m.id);
      assert.ok(['fits', 'tight', "won't fit"].includes(m.verdict), m.id);
      assert.ok(['header', 'file size'].includes(m.basis), m.id);
    }
  });
});
