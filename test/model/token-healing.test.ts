import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { completeAt } from '../../src/engine/complete';
import { builtinModelPath } from '../../src/model/builtin';
import { loadModel, type LoadedModel } from '../../src/model/load';

/** Token healing on real text, through real llama.cpp and the built-in model's tokenizer. */
describe('token healing on the built-in model (real llama.cpp)', function () {
  this.timeout(120_000);
  const text = readFileSync('examples/stack.ts', 'utf8');
  let m: LoadedModel;
  before(async () => {
    m = await loadModel({ modelPath: builtinModelPath(), gpu: false, threads: 1, maxBranches: 16 });
  });
  after(() => m?.dispose());

  it('at random cut points the prompt loses its last token, the first generated token re-types it, and nothing typed is inserted twice', async () => {
    let healedCount = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: text.length - 1 }), fc.constantFrom('greedy' as const, 'beam' as const), async (cut, strategy) => {
        const prefix = text.slice(0, cut);
        const parts = partsFromText(prefix, text.slice(cut));
        const prompt = m.buildPrompt(parts, { maxNewTokens: 4 });
        const r = await completeAt(m, { parts, strategy, options: { maxTokens: 4 } });
        const last = m.languageModel.detokenize([prompt.tokens[prompt.tokens.length - 1]]);
        if (r.healed === undefined) {
          // Only a prompt whose last token is not text before the cursor (an empty middle) is not healed.
          assert.equal(prompt.middleTokens, 0, `cut ${cut}: not healed, though the middle ends in ${JSON.stringify(last)}`);
          return;
        }
        healedCount++;
        assert.equal(r.healed, last, 'the removed text is the prompt\'s last token');
        assert.ok(prefix.endsWith(r.healed), 'and it is text the user typed');
        for (const c of r.candidates) {
          const written = m.languageModel.detokenize(c.tokens);
          if (written.length < r.healed.length) {
            assert.ok(r.healed.startsWith(written), 'a candidate cut short is still re-typing');
            assert.equal(c.text, '');
            continue;
          }
          assert.ok(written.startsWith(r.healed), `cut ${cut}: ${JSON.stringify(written)} does not re-type ${JSON.stringify(r.healed)}`);
          // The document after inserting the candidate is what the model wrote after the shortened prompt.
          assert.equal(prefix + c.text, prefix.slice(0, prefix.length - r.healed.length) + written);
        }
      }),
      { numRuns: 40, seed: 1337 },
    );
    assert.ok(healedCount >= 30, `only ${healedCount} of 40 positions were healed`);
    assert.equal((m.languageModel as unknown as { liveBranches: number }).liveBranches, 0, "every branch released");
  });

  it('healing off leaves the prompt whole (the comparison eval makes)', async () => {
    const cut = text.indexOf('return this') + 'return t'.length;
    const parts = partsFromText(text.slice(0, cut), text.slice(cut));
    const off = await completeAt(m, { parts, strategy: 'greedy', options: { maxTokens: 3 }, healing: false });
    const on = await completeAt(m, { parts, strategy: 'greedy', options: { maxTokens: 3 } });
    assert.equal(off.healed, undefined);
    assert.equal(on.healed, ' t', 'the pre-tokenizer keeps the space with the word');
    assert.equal(on.promptTokens, off.promptTokens, 'the same prompt, one token of it re-typed');
  });
});
