/**
 * The editor's engine reads each token's alternatives only while the candidates panel is on screen:
 * with it hidden, every strategy gives the same candidates (tokens, text, log-probabilities) and
 * records none; with it shown, they are there. Compare Strategies Here (an unwatched request)
 * always records them, since it opens the panel.
 */
import * as assert from 'node:assert/strict';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { stopContextAt } from '../../src/decoding/stop-rules';
import { STRATEGY_NAMES } from '../../src/decoding/strategies';
import type { CompletionResult } from '../../src/decoding/completion';
import type { StrategyName } from '../../src/decoding/strategy';
import { ModelEngine, type SnapshotSink } from '../../src/engine/model-engine';
import { localSession } from '../../src/engine/session';
import type { LoadedModel } from '../../src/model/load';
import type { EngineRequest } from '../../src/providers/controller-types';
import { loadTestModel } from './backend-fixtures';

const PREFIX = 'export function sum(values: number[]): number {\n  let total = 0;\n  for (const value of values) {\n    total = ';
const SUFFIX = '\n  }\n  return total;\n}\n';
/** Top-1 and top-N reads sum Σ exp in their own order (see scoring-paths.test.ts). */
const TOLERANCE = 1e-4;

describe('the panel\'s alternatives are read only while it is shown', function () {
  this.timeout(300_000);
  let model: LoadedModel;
  before(async () => {
    model = await loadTestModel({ threads: 1, contextSize: 1024, maxBranches: 8 });
  });
  after(async () => model?.dispose());

  const panel = { open: false };
  const sink: SnapshotSink = { wanted: () => panel.open, show: () => {} };
  const request: EngineRequest = {
    parts: partsFromText(PREFIX, SUFFIX), languageId: 'typescript', stop: stopContextAt(PREFIX, SUFFIX, SUFFIX), timeBudgetMs: 60_000, background: false,
  };
  // MCTS without its 3 s budget: on a loaded machine one run could be cut short and another not.
  const optionsFor = (strategy: StrategyName) => ({ maxTokens: 12, seed: 3, ...(strategy === 'mcts' ? { maxMs: 86_400_000 } : {}) });
  const engineFor = (strategy: StrategyName) => {
    const session = localSession(model);
    return new ModelEngine(async () => session, () => ({ call: { name: strategy, options: optionsFor(strategy) } as never, codeAwareWeight: 0 }), 'stable', sink);
  };
  const steps = (r: CompletionResult) => r.candidates.flatMap((c) => c.steps);

  for (const strategy of STRATEGY_NAMES) {
    it(strategy, async () => {
      panel.open = true;
      const shown = await engineFor(strategy).complete(request, new AbortController().signal);
      panel.open = false;
      const hidden = await engineFor(strategy).complete(request, new AbortController().signal);
      const compared = await engineFor(strategy).completeWith({ name: strategy, options: optionsFor(strategy) } as never, request, new AbortController().signal);

      assert.ok(shown.candidates.length > 0);
      assert.deepEqual(hidden.candidates.map((c) => [c.text, c.tokens]), shown.candidates.map((c) => [c.text, c.tokens]));
      steps(hidden).forEach((s, i) => assert.ok(Math.abs(s.logprob - steps(shown)[i]!.logprob) < TOLERANCE, `step ${i}: ${s.logprob} vs ${steps(shown)[i]!.logprob}`));
      assert.ok(steps(shown).every((s) => s.alternatives.length > 0), 'the shown panel has every step\'s alternatives');
      assert.ok(steps(hidden).every((s) => s.alternatives.length === 0), 'a hidden panel costs no alternatives');
      assert.ok(steps(compared).every((s) => s.alternatives.length > 0), 'Compare Strategies Here records them');
    });
  }
});
