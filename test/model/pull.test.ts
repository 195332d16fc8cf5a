/**
 * `tokentree pull` through node-llama-cpp's real downloader, against a server on 127.0.0.1 that
 * serves the built-in model with byte ranges (no hub can be reached here; hf: resolution itself is
 * node-llama-cpp's and is only checked for form, in the presets test below).
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_PRESETS } from '../../src/models/presets';
import { modelUri, pullModel, PullError } from '../../src/models/pull';
import { beginRange, serveNotFound, servePage } from '../support/range-server';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('pulling a model (local HTTP server with byte ranges)', function () {
  this.timeout(60_000);
  let source: Buffer;
  let server: Server;
  let base: string;
  /** Range responses to cut off part-way (0 none, Infinity all), among those starting at `cutFrom` or later. */
  let cutsLeft = 0;
  let cutFrom = 0;
  let big: Buffer;
  const ranges: string[] = [];
  let duringPause = () => {};

  before(async () => {
    requireTestModel();
    source = readFileSync(TEST_MODEL);
    big = readFileSync(join(__dirname, '..', '..', 'models', 'tokentree-code.gguf'));
    server = createServer((req, res) => {
      const served = req.url === '/big.gguf' ? big : source;
      if (req.url === '/page.gguf') return servePage(res);
      if (req.url !== '/model.gguf' && req.url !== '/big.gguf' && req.url !== '/pausing.gguf') return serveNotFound(res);
      if (/bytes=/.test(req.headers.range ?? '')) ranges.push(req.headers.range!);
      const range = beginRange(req, res, served.length);
      if (!range) return;
      const { start, end, ranged } = range;
      if (req.url === '/pausing.gguf') {
        // A first piece, then a pause in which the test can take the disk's space away.
        res.write(served.subarray(start, start + 64 * 1024));
        setTimeout(() => {
          duringPause();
          res.end(served.subarray(start + 64 * 1024, end + 1));
        }, 300);
        return;
      }
      if (ranged && start >= cutFrom && cutsLeft > 0) {
        cutsLeft--;
        res.write(served.subarray(start, start + Math.min(64 * 1024, Math.floor((end - start) / 2))));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.end(served.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server?.close());

  let dir: string;
  beforeEach(() => {
    cutsLeft = 0;
    cutFrom = 0;
    ranges.length = 0;
    dir = mkdtempSync(join(tmpdir(), 'tokentree-pull-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('downloads a whole file, and it is the source, byte for byte', async () => {
    const progress: number[] = [];
    const r = await pullModel(`${base}/model.gguf`, { dir, onProgress: (p) => progress.push(p.downloadedBytes) });
    assert.equal(r.bytes, source.length);
    assert.equal(sha(readFileSync(r.path)), sha(source));
    assert.equal(progress.at(-1), source.length);
  });

  it('a transfer cut off part-way is resumed: only the range that was cut is fetched again, and the file equals the source', async () => {
    // The downloader fetches 5 MiB ranges; the 10 MB trained model has two, and the second is cut.
    cutsLeft = 1;
    cutFrom = 5 * 1024 * 1024;
    const r = await pullModel(`${base}/big.gguf`, { dir });
    assert.equal(sha(readFileSync(r.path)), sha(big));
    const starts = ranges.map((h) => Number(/bytes=(\d+)-/.exec(h)![1]));
    assert.equal(starts.filter((s) => s === 0).length, 1, `the first range is not fetched again: ${JSON.stringify(ranges)}`);
    assert.ok(starts.filter((s) => s >= cutFrom).length >= 2, `the cut range is asked for again: ${JSON.stringify(ranges)}`);
  });

  it('a transfer that keeps being cut off ends with a clear error instead of waiting forever', async () => {
    cutsLeft = Infinity;
    await assert.rejects(pullModel(`${base}/model.gguf`, { dir, stallMs: 1500 }), (e: Error) => e instanceof PullError && /interrupted and could not be resumed/.test(e.message));
  });

  it('a 404, and an HTML page instead of a GGUF: one clear line each, and no file kept', async () => {
    await assert.rejects(pullModel(`${base}/nope.gguf`, { dir }), (e: Error) => e instanceof PullError && e.message === `the server answered 404 for ${base}/nope.gguf: no such model file`);
    await assert.rejects(pullModel(`${base}/page.gguf`, { dir }), (e: Error) => e instanceof PullError && e.message.startsWith(`${base}/page.gguf is not a GGUF model file (it starts with "<!DOCTYPE html>"`));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.gguf')), []);
  });

  it('a server that cannot be reached: a clear error at once', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/m.gguf`;
    await new Promise((r) => closed.close(r));
    await assert.rejects(pullModel(url, { dir }), (e: Error) => e instanceof PullError && /cannot be reached \(ECONNREFUSED\)/.test(e.message));
  });

  it('the CLI: {"path", "bytes"} on success, exit 2 with one line for a 404 or a page that is not a GGUF', async () => {
    const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
    // Not spawnSync: the server answering it runs in this process.
    const run = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'pull', ...args, '--dir', dir]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    const ok = await run(`${base}/model.gguf`, '--json');
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { path: join(dir, 'model.gguf'), bytes: source.length });
    for (const [url, pattern] of [[`${base}/gone.gguf`, /^tokentree: the server answered 404/], [`${base}/page.gguf`, /^tokentree: .* is not a GGUF model file/]] as const) {
      const r = await run(url);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      // Progress lines may come first; the error is one line, the last.
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.filter((l) => l.startsWith('tokentree:')).length, 1, r.stderr);
      assert.match(lines.at(-1)!, pattern);
    }
  });

  it('cancelling stops the transfer and keeps no finished file', async () => {
    cutsLeft = Infinity;
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 300);
    await assert.rejects(pullModel(`${base}/model.gguf`, { dir, signal: cancel.signal }));
    assert.ok(!existsSync(join(dir, 'model.gguf')));
    const early = new AbortController();
    early.abort();
    await assert.rejects(pullModel(`${base}/model.gguf`, { dir, signal: early.signal }), /was cancelled/);
  });

  describe('on a full disk (a small tmpfs; needs root, as CI has)', () => {
    let small: string;
    const mount = (size: string) => spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', small], { encoding: 'utf8' });
    beforeEach(function () {
      small = mkdtempSync(join(tmpdir(), 'tokentree-full-'));
      const r = mount('1m');
      if (r.status !== 0) {
        rmSync(small, { recursive: true, force: true });
        this.skip(); // not root: mount is refused (the CI stage runs as root)
      }
    });
    afterEach(() => {
      duringPause = () => {};
      spawnSync('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    });

    it('a file bigger than the free space is refused before anything is written, in one line; the CLI exits 2', async () => {
      await assert.rejects(pullModel(`${base}/model.gguf`, { dir: small }), (e: Error) => e instanceof PullError && /^the disk is full: .* needs 5 MB more and .* has 1 MB free/.test(e.message));
      assert.deepEqual(readdirSync(small), []);
      const cli = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli.js'), 'pull', `${base}/model.gguf`, '--dir', small]);
      let stderr = '';
      cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const status = await new Promise((r) => cli.on('close', r));
      assert.equal(status, 2, stderr);
      assert.match(stderr, /^tokentree: the disk is full: /);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    });

    it('a disk that fills up during the transfer: one clear error (not a crash), and no short file left as a model', async () => {
      spawnSync('umount', [small]);
      assert.equal(mount('8m').status, 0);
      duringPause = () => writeFileSync(join(small, 'filler'), Buffer.alloc(6 * 1024 * 1024));
      await assert.rejects(pullModel(`${base}/pausing.gguf`, { dir: small }), (e: Error) => e instanceof PullError && /^the disk is full: .* did not fit/.test(e.message));
      assert.deepEqual(readdirSync(small).filter((f) => f.endsWith('.gguf')), []);
    });
  });

  it('presets are hf: URIs of the form user/repo:quant, with unique ids; other sources are refused', () => {
    const ids = new Set<string>();
    for (const p of MODEL_PRESETS) {
      assert.match(p.uri, /^hf:[\w.-]+\/[\w.-]+-GGUF:(Q8_0|Q4_K_M)$/, p.id);
      assert.ok(!ids.has(p.id), p.id);
      ids.add(p.id);
      assert.equal(modelUri(p.id), p.uri);
      assert.ok(p.sizeBytes > 1e8);
    }
    assert.throws(() => modelUri('ftp://example.com/m.gguf'), PullError);
    assert.throws(() => modelUri('qwen-9000'), /is not a preset/);
  });
});
