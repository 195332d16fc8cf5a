/**
 * FIM detection on real GGUF files from the fixture writer, one per model family, with and without
 * the GGUF metadata ids: llama.cpp loads each, the backend finds the family's markers, builds the
 * prompt in the family's order and treats the family's end markers as end of generation.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/model/load';
import { FIM_FAMILIES, writeTestModel, type FimFamily } from '../support/test-models';
import { partsFromText } from '../../src/decoding/prompt-parts';

const EXPECTED: Record<FimFamily, { family: string | null; order?: 'psm' | 'spm' }> = {
  qwen: { family: 'qwen', order: 'psm' },
  deepseek: { family: 'deepseek', order: 'psm' },
  codellama: { family: 'codellama', order: 'psm' },
  starcoder: { family: 'starcoder', order: 'psm' },
  codestral: { family: 'codestral', order: 'spm' },
  none: { family: null },
};

describe('FIM detection per model family (fixture GGUFs through llama.cpp)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-fim-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const fim of Object.keys(EXPECTED) as FimFamily[]) {
    for (const withMetadataIds of [false, true]) {
      it(`${fim}${withMetadataIds ? ' with metadata ids' : ''}`, async () => {
        const written = writeTestModel(join(dir, `${fim}-${withMetadataIds}.gguf`), { fim, withMetadataIds });
        const m = await loadModel({ modelPath: written.path, threads: 1, contextSize: 128, maxBranches: 1 });
        try {
          const expected = EXPECTED[fim];
          const info = m.info.fim;
          const prompt = m.buildPrompt(partsFromText('const a = ', ';\n'), { maxNewTokens: 16 });
          const bos = written.family.addBos ? [written.ids.bos!] : [];
          const pre = m.tokenize('const a = ');
          const suf = m.tokenize(';\n');
          if (expected.family === null) {
            assert.equal(info, null);
            assert.equal(prompt.fim, false);
            assert.deepEqual(prompt.tokens, [...bos, ...pre]);
          } else {
            assert.ok(info, 'FIM detected');
            assert.equal(info.family, expected.family);
            assert.equal(info.order, expected.order);
            const byText = written.family.fimDetectedByText || withMetadataIds;
            assert.equal(info.source, byText ? 'llama.cpp' : 'spelling');
            assert.deepEqual([info.prefix, info.suffix], [written.ids.fimPre, written.ids.fimSuf]);
            assert.equal(prompt.fim, true);
            // The cursor's line is the middle: after the middle marker (psm), or after the prefix marker (spm).
            const expectedTokens = expected.order === 'spm'
              ? [...bos, info.suffix, ...suf, info.prefix, ...pre]
              : [...bos, info.prefix, info.suffix, ...suf, info.middle!, ...pre];
            assert.deepEqual(prompt.tokens, expectedTokens);
            for (const t of [info.prefix, info.suffix]) assert.ok(m.languageModel.isEndOfGeneration(t));
          }
          assert.ok(m.languageModel.isEndOfGeneration(written.ids.eos!), 'EOS ends generation');
          if (written.ids.eot !== undefined) assert.ok(m.languageModel.isEndOfGeneration(written.ids.eot), 'EOT ends generation');
          for (const role of ['fimPad', 'fimRep', 'fimSep'] as const) {
            if (written.ids[role] !== undefined) assert.ok(m.languageModel.isEndOfGeneration(written.ids[role]), `${role} ends generation`);
          }
          assert.ok(!m.languageModel.isEndOfGeneration(pre[0]!));
          const s = await m.languageModel.start(prompt.tokens, 4);
          assert.ok(Number.isFinite(s.next.logNormalizer));
          m.languageModel.release(s.branch);
        } finally {
          await m.dispose();
        }
      });
    }
  }

  it('the fixture families are the ones the backend knows', () => {
    assert.deepEqual(Object.keys(FIM_FAMILIES).sort(), Object.keys(EXPECTED).sort());
  });
});
