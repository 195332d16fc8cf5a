/**
 * Anytime completion through a model process on real llama.cpp: the first suggestion crosses as a
 * message of its own before the reply, greedy's; the reply is the strategy's own result, the one
 * it gives without a first pass; greedy asks for no first pass.
 */
import * as assert from 'node:assert/strict';
import type { CompletionResult } from '../../src/decoding/completion';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { ModelProcess } from '../../src/model-process/client';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

const parts = partsFromText('function add(a, b) {\n  return ', '\n}\n');
const stop = { linePrefix: '  return ', lineSuffix: '', suffix: '\n}\n' };

describe('anytime completion through the model process (real llama.cpp)', function () {
  this.timeout(120_000);
  let proc: ModelProcess;
  before(() => {
    requireTestModel();
    proc = new ModelProcess();
  });
  after(async () => proc?.close());

  it('sends greedy\'s suggestion first, then the strategy\'s own result', async () => {
    const session = await proc.load({ modelPath: TEST_MODEL, threads: 1, contextSize: 256 });
    for (const strategy of ['beam', 'mcts', 'entropy'] as const) {
      const request = { parts, strategy, options: { maxTokens: 12, seed: 3 }, stop };
      const alone = await session.complete(request);
      const greedy = await session.complete({ ...request, strategy: 'greedy' });
      const firsts: CompletionResult[] = [];
      let settled = false;
      const final = await session.complete({ ...request, firstSuggestionMs: 500 }, undefined, undefined, (r) => {
        assert.equal(settled, false, 'the first suggestion arrives before the reply');
        firsts.push(r);
      }).finally(() => (settled = true));
      assert.equal(firsts.length, 1, strategy);
      assert.equal(firsts[0]!.strategy, 'greedy');
      assert.equal(firsts[0]!.candidates[0]?.shown?.text, greedy.candidates[0]?.shown?.text, `${strategy}: the first suggestion is greedy's`);
      assert.deepEqual(final.candidates.map((c) => [c.text, c.finish]), alone.candidates.map((c) => [c.text, c.finish]), `${strategy}: the final result is the strategy's own`);
      assert.equal(final.firstMs, firsts[0]!.firstMs, 'the reply says when the first suggestion was ready');
      assert.ok(final.stats.tokensEvaluated <= alone.stats.tokensEvaluated, `${strategy}: ${final.stats.tokensEvaluated} tokens after greedy's pass, ${alone.stats.tokensEvaluated} alone`);
    }
  });
});
