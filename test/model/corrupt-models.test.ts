/**
 * Header values llama.cpp aborts on (GGML_ASSERT, SIGABRT for the whole process) or that made
 * node-llama-cpp's reader loop until memory ran out: the header check refuses each before
 * llama.cpp sees the file, with an error that names the file and the value.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFileError } from '../../src/model/errors';
import { checkModelFile } from '../../src/model/gguf-check';
import { GgufHeaderError, readGgufHeader } from '../../src/model/gguf-header';
import { hyperparameterProblem } from '../../src/model/gguf-hparams';
import { getRuntime } from '../../src/model/llama-runtime';
import { CORRUPTIONS, writeCorruptModel, type CorruptionName } from '../support/corrupt-models';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

const EXPECTED: Record<CorruptionName, RegExp> = {
  'block count 1000': /block_count is 1000, but the file has tensors for 1 layer\b/,
  'head count 0': /head_count is 0; each layer needs at least one head/,
  'KV head count 0': /head_count_kv is 0/,
  'feed-forward length 0': /feed_forward_length is 0/,
  'NaN RMS epsilon': /layer_norm_rms_epsilon is NaN/,
  'tensor count 100': /tensor|file ends/,
};

describe('corrupted model headers are refused before llama.cpp reads them', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    requireTestModel();
    dir = mkdtempSync(join(tmpdir(), 'tokentree-corrupt-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const readInfo = async (p: string) => (await getRuntime()).lib.readGgufFileInfo(p, { sourceType: 'filesystem', logWarnings: false });

  for (const name of Object.keys(CORRUPTIONS) as CorruptionName[]) {
    it(name, async () => {
      const path = writeCorruptModel(TEST_MODEL, dir, name);
      let readerCalled = false;
      await assert.rejects(checkModelFile(path, async (p) => { readerCalled = true; return readInfo(p); }), (e: unknown) => {
        assert.ok(e instanceof ModelFileError, String(e));
        assert.ok(e.message.includes(path), e.message);
        assert.match(e.message, EXPECTED[name]);
        return true;
      });
      assert.equal(readerCalled, false, 'node-llama-cpp’s reader never saw the file');
    });
  }

  it('the unchanged model passes, with the values the checks read', async () => {
    const header = readGgufHeader(TEST_MODEL);
    assert.equal(hyperparameterProblem(header), undefined);
    assert.equal(header.tensors.length, header.tensorCount);
    await checkModelFile(TEST_MODEL, readInfo);
  });

  it('counts the file cannot hold are refused before anything is allocated', () => {
    const header = Buffer.alloc(24);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(0xffff_ffff_ffffn, 8);
    const path = join(dir, 'huge-count.gguf');
    writeFileSync(path, header);
    assert.throws(() => readGgufHeader(path), (e: unknown) => e instanceof GgufHeaderError && /tensor count is 281474976710655/.test(e.message));
  });

  it('the walk stops at its time limit', () => {
    assert.throws(() => readGgufHeader(TEST_MODEL, -1), /took too long/);
  });
});
