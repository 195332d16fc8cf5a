import * as assert from 'node:assert/strict';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { textLines } from '../../src/decoding/prompt-parts';
import { PathMemo } from '../../src/decoding/shared-path';
import { decode, parseStrategyCall } from '../../src/decoding/strategies';
import type { StrategyName } from '../../src/decoding/strategy';
import { CompletionController, type CompletionEngine, type ControllerSettings, type CursorRequest, type EngineRequest } from '../../src/providers/completion-controller';
import { describeRefinement, type Refinement } from '../../src/providers/refinement';
import type { GateCalibration, GatePredictor } from '../../src/decoding/gate/predictor';
import { abortableSleep, RequestGate } from '../../src/providers/request-gate';
import { forkModel, trapModel } from '../support/trap-models';
import type { TableModel } from '../support/table-model';

const tokensOf = (model: TableModel) => model.calls.flat().reduce((n, r) => n + r.tokens.length, 0);

/** The strategy alone, and the strategy after greedy's first pass on the same prompt branch. */
async function bothWays(name: StrategyName, make: () => TableModel, options: Record<string, unknown> = {}) {
  const alone = make();
  const p0 = await alone.start([], Infinity);
  const solo = await decode(parseStrategyCall(name, { maxTokens: 8, ...options }), alone, p0, undefined, true);
  alone.release(p0.branch);

  const shared = make();
  const p1 = await shared.start([], Infinity);
  const memo = new PathMemo(shared, p1);
  const first = await decode(parseStrategyCall('greedy', { maxTokens: 8 }), memo.recording(), p1);
  const greedyTokens = tokensOf(shared);
  const after = await decode(parseStrategyCall(name, { maxTokens: 8, ...options }), memo.replaying(), p1, undefined, true);
  shared.release(p1.branch);
  return { solo, first, after, soloTokens: tokensOf(alone), searchTokens: tokensOf(shared) - greedyTokens, live: shared.liveBranches };
}

describe('anytime completion: greedy first, then the search on the same prompt', () => {
  for (const [name, make, options] of [
    ['beam', trapModel, { width: 2 }],
    ['mcts', trapModel, { simulations: 24 }],
    ['entropy', forkModel, {}],
    ['top-p', forkModel, { samples: 4, seed: 7 }],
  ] as const) {
    it(`${name}: the search after greedy's pass returns what it returns alone, reading greedy's path instead of evaluating it`, async () => {
      const r = await bothWays(name, make, options);
      assert.deepEqual(r.after.candidates.map((c) => [c.text, c.score]), r.solo.candidates.map((c) => [c.text, c.score]));
      assert.ok(r.searchTokens <= r.soloTokens, `${r.searchTokens} tokens evaluated after greedy, ${r.soloTokens} alone`);
      assert.equal(r.live, 0, 'every branch released');
    });
  }

  it('greedy\'s path is the search\'s first branch: beam evaluates fewer tokens after it', async () => {
    const r = await bothWays('beam', trapModel, { width: 2 });
    assert.equal(r.first.candidates[0]!.text, ' a c');
    assert.ok(r.searchTokens < r.soloTokens, `${r.searchTokens} < ${r.soloTokens}`);
  });
});

const SETTINGS: ControllerSettings = {
  enabled: true, languages: ['typescript'], candidates: 3, autoTriggerMaxLineSuffix: 8, timeBudgetMs: 1000, otherFiles: false,
  contextBudgetChars: 0, prefixChars: 10000, suffixChars: 10000, cutAtUncertain: 0, gate: 'auto', refine: 'replace', firstSuggestionMs: 500,
};

const result = (strategy: StrategyName, text: string, meanLogprob: number): CompletionResult => ({
  strategy,
  candidates: [{ text, tokens: [1], steps: [{ token: 1, text, logprob: meanLogprob, entropy: 0, varentropy: 0, alternatives: [] }], sumLogprob: meanLogprob, meanLogprob, score: meanLogprob, finish: 'eog' }],
  tree: new CandidateTree(), stats: { modelCalls: 1, tokensEvaluated: 1, ms: 1 }, fim: true, promptTokens: 10, promptTokensEvaluated: 1, promptTokensShifted: 0,
});

/** A scripted model side: greedy's suggestion at once, the search's after `searchMs`. */
class ScriptedEngine implements CompletionEngine {
  requests: EngineRequest[] = [];
  aborted = 0;
  constructor(private readonly greedy: string, private readonly search: string, private readonly searchMs = 30, private readonly logprobs = { greedy: -1, search: -0.2 }) {}
  async complete(request: EngineRequest, signal: AbortSignal, onFirst?: (r: CompletionResult) => void): Promise<CompletionResult> {
    this.requests.push(request);
    if (request.background) return result('mcts', this.search, -0.1);
    if (request.firstSuggestionMs !== undefined) onFirst?.(result('greedy', this.greedy, this.logprobs.greedy));
    try {
      await abortableSleep(this.searchMs, signal);
    } catch (e) {
      this.aborted++;
      throw e;
    }
    return result('mcts', this.search, this.logprobs.search);
  }
  async warm(): Promise<void> {}
}

const at = (prefix: string, version: number): CursorRequest => ({
  documentKey: 'file:///a.ts', languageId: 'typescript', document: textLines(prefix), line: 0, character: prefix.length, automatic: true, version,
});

function setup(engine: CompletionEngine, settings: Partial<ControllerSettings> = {}) {
  const where = { version: 1, line: 0, character: 'const x = '.length };
  const refined: Refinement[] = [];
  const cancelled: CursorRequest[] = [];
  const c = new CompletionController(engine, () => ({ ...SETTINGS, ...settings }), new RequestGate(() => 0), { onRefined: (r) => refined.push(r), onRefineCancelled: (q) => cancelled.push(q) }, {
    idleMs: 60_000, prefetchDelayMs: 60_000, where: () => where,
  });
  return { c, where, refined, cancelled };
}

describe('anytime completion in the controller (scripted model)', () => {
  it('shows greedy\'s suggestion first and replaces it with the search\'s at the same cursor and version', async () => {
    const engine = new ScriptedEngine('greedy();', 'search();');
    const { c, refined } = setup(engine);
    const first = await c.provide(at('const x = ', 1));
    assert.deepEqual(first?.map((s) => s.text), ['greedy();']);
    assert.equal(engine.requests[0]!.firstSuggestionMs, 500);
    const r = await c.refinement();
    assert.equal(r?.replaced, true);
    assert.equal(r?.reason, 'higher-score');
    assert.deepEqual(refined.map((x) => x.final[0]!.text), ['search();']);
    // The editor's re-ask after inlineSuggest.trigger is served from the cache: the refined text, no model call.
    assert.deepEqual((await c.provide(at('const x = ', 1)))?.map((s) => s.text), ['search();']);
    assert.equal(engine.requests.filter((q) => !q.background).length, 1);
  });

  it('does not replace once the document version or the cursor has changed', async () => {
    const engine = new ScriptedEngine('greedy();', 'search();');
    const { c, where } = setup(engine);
    await c.provide(at('const x = ', 1));
    where.version = 2;
    const r = await c.refinement();
    assert.equal(r?.replaced, false);
    assert.equal(r?.kept, 'moved');
    assert.deepEqual((await c.provide(at('const x = ', 1)))?.map((s) => s.text), ['greedy();']);
  });

  it('a search\'s best that the gate keeps back does not replace a shown suggestion', async () => {
    // A fake calibration for both: shown from a 50% chance, which a token probability of 0.5 gives.
    const fit: GatePredictor = { intercept: 0, features: [{ name: 'meanProb', mean: 0.5, std: 0.1, weight: 3 }], threshold: 0.5, heldOut: { auroc: 0.7, precision: 0.3, recall: 0.8, baselinePrecision: 0.1, positions: 100 }, enabled: true };
    const calibration: GateCalibration = { version: 1, useful: 'exact-line', model: 'fake', positions: 0, strategies: { greedy: fit, mcts: fit } };
    // Greedy's tokens at p 0.9 (shown); the search's at p 0.08 (kept back).
    const engine = new ScriptedEngine('greedy();', 'search();', 30, { greedy: -0.1, search: -2.5 });
    const where = { version: 1, line: 0, character: 'const x = '.length };
    const c = new CompletionController(engine, () => SETTINGS, new RequestGate(() => 0), {}, { idleMs: 60_000, prefetchDelayMs: 60_000, where: () => where, calibration: () => calibration });
    const first = await c.provide(at('const x = ', 1));
    assert.equal(first?.[0]?.gate?.suppressed, false);
    const r = await c.refinement();
    assert.equal(r?.final[0]?.gate?.suppressed, true);
    assert.equal(r?.replaced, false);
    assert.equal(r?.kept, 'gated');
    assert.match(describeRefinement(r!), /the gate predicts it unlikely to be right/);
    assert.deepEqual((await c.provide(at('const x = ', 1)))?.map((s) => s.text), ['greedy();'], 'the ghost text keeps greedy\'s');
  });

  it('a partial accept blocks the replacement', async () => {
    const engine = new ScriptedEngine('greedy();', 'search();');
    const { c } = setup(engine);
    await c.provide(at('const x = ', 1));
    c.notePartialAccept('file:///a.ts');
    const r = await c.refinement();
    assert.equal(r?.replaced, false);
    assert.equal(r?.kept, 'partial-accept');
  });

  it('typing cancels the rest of the search, typing through the shown text too', async () => {
    const engine = new ScriptedEngine('greedy();', 'search();', 200);
    const { c, refined, cancelled } = setup(engine);
    await c.provide(at('const x = ', 1));
    // Typing a character of the shown suggestion: served from the cache, and the search ends.
    assert.deepEqual((await c.provide(at('const x = g', 2)))?.map((s) => s.text), ['reedy();']);
    assert.equal(await c.refinement(), undefined);
    assert.equal(engine.aborted, 1);
    assert.equal(refined.length, 0);
    assert.equal(cancelled.length, 1, 'the editor hears that the search ended without a result');
    // Typing something else starts a new completion, which cancels its own search the same way.
    await c.provide(at('const x = q', 3));
    await c.provide(at('const x = qq', 4));
    assert.equal(engine.aborted, 2);
  });

  it('panel-only keeps the ghost text; off waits for the search and asks for no first suggestion', async () => {
    const engine = new ScriptedEngine('greedy();', 'search();');
    const panel = setup(engine, { refine: 'panel-only' });
    await panel.c.provide(at('const x = ', 1));
    const r = await panel.c.refinement();
    assert.equal(r?.replaced, false);
    assert.equal(r?.kept, 'panel-only');
    assert.deepEqual((await panel.c.provide(at('const x = ', 1)))?.map((s) => s.text), ['greedy();']);

    const off = setup(new ScriptedEngine('greedy();', 'search();'), { refine: 'off' });
    assert.deepEqual((await off.c.provide(at('const x = ', 1)))?.map((s) => s.text), ['search();']);
    assert.equal(await off.c.refinement(), undefined);
  });

  it('the same text from the search is no refinement', async () => {
    const { c } = setup(new ScriptedEngine('same();', 'same();'));
    await c.provide(at('const x = ', 1));
    const r = await c.refinement();
    assert.equal(r?.reason, undefined);
    assert.equal(r?.replaced, false);
  });
});
