/**
 * The direct scoring path (native reads of the logits, one for a top-1 and two for a top-N) against
 * node-llama-cpp's public controlledEvaluate: every strategy gives the same candidates, tokens and
 * step log-probabilities, on the built-in model and on a model with Qwen2.5-Coder's 151,936-token
 * vocabulary (random weights, tools/model/real-shape.ts --light).
 */
import * as assert from 'node:assert/strict';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { STRATEGY_NAMES } from '../../src/decoding/strategies';
import { completeRequest } from '../../src/engine/session';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { vocabHeavyModel } from '../../tools/model/real-shape';
import { TEST_MODEL } from './backend-fixtures';

const PREFIX = 'export function sum(values: number[]): number {\n  let total = 0;\n  for (const value of values) {\n    total = ';
const SUFFIX = '\n  }\n  return total;\n}\n';

/**
 * Log-probabilities: each path sums Σ exp over the vocabulary in float32, in its own order (seen:
 * 2e-5 apart on 4,096 tokens and on 151,936), so they agree to 1e-4, as backend.test.ts holds.
 */
const TOLERANCE = 1e-4;

for (const [name, path] of [['the built-in model', async () => TEST_MODEL], ['a 151,936-token vocabulary', vocabHeavyModel]] as const) {
  describe(`direct and public scoring paths agree (${name})`, function () {
    this.timeout(600_000);
    let direct: LoadedModel;
    let pub: LoadedModel;
    before(async () => {
      const modelPath = await path();
      direct = await loadModel({ modelPath, threads: 1, contextSize: 512, maxBranches: 8 });
      pub = await loadModel({ modelPath, threads: 1, contextSize: 512, maxBranches: 8, scoring: 'public' });
      assert.equal(direct.info.scoring, 'direct');
      assert.equal(pub.info.scoring, 'public');
    });
    after(async () => {
      await direct?.dispose();
      await pub?.dispose();
    });

    for (const strategy of STRATEGY_NAMES) {
      for (const alternatives of [0, 5]) {
        it(`${strategy}, ${alternatives} alternatives recorded`, async () => {
          // MCTS without its 3 s budget: on a loaded machine one side could be cut short and the other not.
          const unbudgeted = strategy === 'mcts' ? { maxMs: 86_400_000 } : {};
          const request = { parts: partsFromText(PREFIX, SUFFIX), strategy, healing: false, options: { maxTokens: 8, seed: 3, alternatives, ...unbudgeted } };
          const [a, b] = [await completeRequest(direct, request), await completeRequest(pub, request)];
          assert.ok(a.candidates.length > 0);
          assert.deepEqual(a.candidates.map((c) => [c.text, c.tokens]), b.candidates.map((c) => [c.text, c.tokens]));
          a.candidates.forEach((c, i) => c.steps.forEach((s, k) => {
            const other = b.candidates[i]!.steps[k]!;
            assert.ok(Math.abs(s.logprob - other.logprob) < TOLERANCE, `candidate ${i} step ${k}: ${s.logprob} vs ${other.logprob}`);
            assert.deepEqual(s.alternatives.map((x) => x.token), other.alternatives.map((x) => x.token));
            assert.equal(s.alternatives.length, Math.min(alternatives, s.alternatives.length));
          }));
        });
      }
    }
  });
}
