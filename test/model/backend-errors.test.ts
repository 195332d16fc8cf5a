/**
 * Bad model files and bad logits: each gets its own error with a message naming the file, and
 * none of them crashes the process. The broken files are made from the test model by truncating
 * it or patching bytes in place (same-length tensor names, NaN weights).
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ModelError, ModelFileError, ModelLoadError, NoGenerationHeadError, NonFiniteLogitsError,
} from '../../src/model/errors';
import { checkModelFile } from '../../src/model/gguf-check';
import { explainLoadFailure, loadModel } from '../../src/model/load';
import { flushLog, getRuntime } from '../../src/model/llama-runtime';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

describe('llama.cpp backend: bad input', function () {
  this.timeout(60_000);
  let dir: string;
  const load = (modelPath: string) => loadModel({ modelPath, threads: 1, contextSize: 64, maxBranches: 1 });

  before(() => {
    requireTestModel();
    dir = mkdtempSync(join(tmpdir(), 'tokentree-bad-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function rejectsWith(path: string, type: new (...args: never[]) => ModelError, reason?: string): Promise<ModelError> {
    let caught: unknown;
    try {
      const m = await load(path);
      await m.dispose();
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
    if (reason !== undefined) assert.equal((caught as ModelFileError).reason, reason);
    assert.ok(caught.message.includes(path), `the message names the file: ${caught.message}`);
    return caught;
  }

  /** The test model's bytes with every header occurrence of `from` replaced by `to` (same length). */
  async function patchedNames(name: string, renames: Record<string, string>): Promise<string> {
    const bytes = readFileSync(TEST_MODEL);
    const info = await (await getRuntime()).lib.readGgufFileInfo(TEST_MODEL, { logWarnings: false });
    const header = bytes.subarray(0, info.infoEndOffset);
    for (const [from, to] of Object.entries(renames)) {
      assert.equal(from.length, to.length);
      for (let at = header.indexOf(from); at >= 0; at = header.indexOf(from, at + 1)) header.write(to, at, 'latin1');
    }
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  it('a missing file', async () => {
    await rejectsWith(join(dir, 'nope.gguf'), ModelFileError, 'missing');
  });

  it('a directory', async () => {
    await rejectsWith(dir, ModelFileError, 'not-a-file');
  });

  it('a file that is not GGUF', async () => {
    const path = join(dir, 'notes.gguf');
    writeFileSync(path, 'export const x = 1;\n');
    const err = await rejectsWith(path, ModelFileError, 'not-gguf');
    assert.match(err.message, /not a GGUF/);
  });

  it('a GGUF truncated inside its tensor data, and one cut inside its header', async () => {
    const bytes = readFileSync(TEST_MODEL);
    const mid = join(dir, 'mid.gguf');
    writeFileSync(mid, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await rejectsWith(mid, ModelFileError, 'truncated');
    const head = join(dir, 'head.gguf');
    writeFileSync(head, bytes.subarray(0, 100));
    await rejectsWith(head, ModelFileError, 'truncated');
    const tiny = join(dir, 'tiny.gguf');
    writeFileSync(tiny, 'GG');
    await rejectsWith(tiny, ModelFileError, 'truncated');
  });

  it('a model with no generation head (no output tensor and no embeddings to tie it to)', async () => {
    const path = await patchedNames('headless.gguf', { 'token_embd.weight': 'token_embX.weight', 'output.weight': 'outpuX.weight' });
    const err = await rejectsWith(path, NoGenerationHeadError);
    assert.match(err.message, /cannot generate text/);
    // What llama.cpp itself does with such a file: it refuses it (no crash) and logs the missing
    // tensor; that log maps to the same error when the file gets past our own check.
    const runtime = await getRuntime();
    const mark = runtime.logMark();
    await assert.rejects(runtime.llama.loadModel({ modelPath: path }));
    await flushLog();
    const log = runtime.logSince(mark);
    assert.ok(log.some((l) => /missing tensor 'token_embd\.weight'/.test(l)), log.join('\n'));
    assert.ok(explainLoadFailure(path, log, new Error('Failed to load model')) instanceof NoGenerationHeadError);
  });

  it('an encoder-only architecture', async () => {
    const real = await (await getRuntime()).lib.readGgufFileInfo(TEST_MODEL, { logWarnings: false });
    const asBert = { ...real, metadata: { ...real.metadata, general: { ...real.metadata.general, architecture: 'bert' } } };
    await assert.rejects(checkModelFile(TEST_MODEL, async () => asBert as typeof real), NoGenerationHeadError);
  });

  it('other llama.cpp refusals keep its log in the message', () => {
    const err = explainLoadFailure('/m.gguf', ['error: llama_model_load: unknown model architecture: \'xyz\''], new Error('Failed to load model'));
    assert.ok(err instanceof ModelLoadError);
    assert.match(err.message, /unknown model architecture/);
  });

  it('NaN logits are an error, and prompts without the broken token still work', async () => {
    const info = await (await getRuntime()).lib.readGgufFileInfo(TEST_MODEL, { logWarnings: false });
    const embd = info.tensorInfo!.find((t) => t.name === 'token_embd.weight')!;
    assert.ok(embd.ggmlType === 0 || embd.ggmlType === 1, 'token_embd is F32 or F16');
    const width = Number(embd.dimensions[0]);
    const broken = Number(embd.dimensions[1]) - 1;
    const bytes = readFileSync(TEST_MODEL);
    const size = embd.ggmlType === 0 ? 4 : 2;
    const row = Number(embd.fileOffset) + broken * width * size;
    for (let i = 0; i < width; i++) {
      if (size === 4) bytes.writeUInt32LE(0x7fc00000, row + 4 * i);
      else bytes.writeUInt16LE(0x7e00, row + 2 * i);
    }
    const path = join(dir, 'nan.gguf');
    writeFileSync(path, bytes);
    const m = await loadModel({ modelPath: path, threads: 1, contextSize: 64, maxBranches: 2 });
    try {
      const lm = m.languageModel;
      const tokens = m.tokenize('const y = 2;');
      assert.ok(!tokens.includes(broken));
      await assert.rejects(lm.start([...tokens, broken], 4), NonFiniteLogitsError);
      const ok = await lm.start(tokens, 4);
      assert.ok(Number.isFinite(ok.next.logNormalizer));
      await assert.rejects(lm.evaluate([{ branch: ok.branch, tokens: [broken], topN: 4 }]), NonFiniteLogitsError);
      lm.release(ok.branch);
    } finally {
      await m.dispose();
    }
  });
});
