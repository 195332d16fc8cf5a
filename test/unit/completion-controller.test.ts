import * as assert from 'node:assert/strict';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { textBeforeCursor, textLines } from '../../src/decoding/prompt-parts';
import { acceptUntilUncertain, confidentLength } from '../../src/providers/confidence';
import { blockingSuffix, CompletionController, shownInline, type CompletionEngine, type ControllerSettings, type CursorRequest, type EngineRequest, type Suggestion } from '../../src/providers/completion-controller';
import { ContextRing } from '../../src/providers/context-ring';
import { abortableSleep, RequestGate } from '../../src/providers/request-gate';
import { isCompleteFor } from '../../src/decoding/stop-rules';
import type { GateCalibration } from '../../src/decoding/gate/predictor';
import { describeGate } from '../../src/providers/gate-policy';

const SETTINGS: ControllerSettings = {
  enabled: true,
  languages: ['typescript'],
  candidates: 3,
  autoTriggerMaxLineSuffix: 8,
  timeBudgetMs: 1000,
  otherFiles: false,
  contextBudgetChars: 0,
  prefixChars: 10000,
  suffixChars: 10000,
  cutAtUncertain: 0,
  gate: 'auto',
};

/** A fake engine: answers with fixed candidates, records requests, can be slow. */
class FakeEngine implements CompletionEngine {
  requests: EngineRequest[] = [];
  warmed: EngineRequest[] = [];
  /** Foreground and background requests that were aborted. */
  aborted = 0;
  abortedBackground = 0;
  /** Requests started and not yet settled. */
  active = 0;
  shifted = 0;
  constructor(
    private readonly texts: string[],
    private readonly delayMs = 0,
    private readonly logprob = -0.1,
  ) {}
  async complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult> {
    this.requests.push(request);
    this.active++;
    try {
      if (this.delayMs) {
        await abortableSleep(this.delayMs, signal).catch(() => {
          if (request.background) this.abortedBackground++;
          else this.aborted++;
          throw new Error('aborted');
        });
      }
    } finally {
      this.active--;
    }
    const candidates = this.texts.map((text, i) => ({
      text,
      tokens: [i],
      steps: text.split(/(?<=\s)/).map((t, k) => ({ token: k, text: t, logprob: k === 2 ? -3 : this.logprob, entropy: k === 1 ? 2 : 0.1, varentropy: 0, alternatives: [] })),
      sumLogprob: -1,
      meanLogprob: -0.1,
      score: -i,
      finish: 'eog' as const,
    }));
    return {
      strategy: 'greedy', candidates, tree: new CandidateTree(), stats: { modelCalls: 1, tokensEvaluated: 1, ms: 1 }, fim: true,
      promptTokens: 10, promptTokensEvaluated: 1, promptTokensShifted: this.shifted,
    };
  }
  async warm(request: EngineRequest, signal: AbortSignal): Promise<void> {
    this.warmed.push(request);
    if (this.delayMs) await abortableSleep(this.delayMs, signal);
  }
}

/** A request with the cursor after `prefix`; `after` is the rest of the document. */
const request = (prefix: string, extra: Partial<CursorRequest> & { after?: string } = {}): CursorRequest => {
  const { after = '', ...rest } = extra;
  const line = prefix.split('\n').length - 1;
  return {
    documentKey: 'file:///a.ts',
    languageId: 'typescript',
    document: textLines(prefix + after),
    line,
    character: prefix.length - (prefix.lastIndexOf('\n') + 1),
    automatic: true,
    ...rest,
  };
};

function controller(engine: CompletionEngine, settings: Partial<ControllerSettings> = {}, debounceMs = 0, idleMs = 60_000) {
  return new CompletionController(engine, () => ({ ...SETTINGS, ...settings }), new RequestGate(() => debounceMs), {}, { idleMs, prefetchDelayMs: 0 });
}

/** Requests a keystroke made (prefetches left out). */
const foreground = (engine: FakeEngine) => engine.requests.filter((r) => !r.background).length;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('completion policy (fake engine)', () => {
  it('returns ranked, stop-ruled suggestions and caches them', async () => {
    const engine = new FakeEngine(['value;\nnext();', 'other;', 'value;']);
    const c = controller(engine);
    const items = await c.provide(request('const x = '));
    assert.deepEqual(items?.map((i) => i.text), ['value;', 'other;']);
    // Typing what the suggestion contains reuses it: no model call.
    const again = await c.provide(request('const x = val'));
    assert.deepEqual(again?.map((i) => i.text), ['ue;']);
    assert.equal(foreground(engine), 1);
    // Going back re-shows it.
    assert.deepEqual((await c.provide(request('const x = ')))?.map((i) => i.text), ['value;', 'other;']);
    assert.equal(foreground(engine), 1);
    // Typing something else asks the model again.
    await c.provide(request('const x = q'));
    assert.equal(foreground(engine), 2);
  });

  it('debounces and keeps one generation in flight: a newer keystroke cancels the older', async () => {
    const engine = new FakeEngine(['a;'], 50);
    const c = controller(engine, {}, 20);
    const first = c.provide(request('let a = 1'));
    await new Promise((r) => setTimeout(r, 5));
    const second = c.provide(request('let a = 12'));
    assert.equal(await first, undefined, 'the first request was superseded during its debounce');
    assert.deepEqual((await second)?.map((i) => i.text), ['a;']);
    assert.equal(foreground(engine), 1, 'only the last keystroke reached the model');

    const slowFirst = c.provide(request('let b = 1'));
    await new Promise((r) => setTimeout(r, 40)); // past the debounce, generation running
    const slowSecond = c.provide(request('let b = 12'));
    assert.equal(await slowFirst, undefined);
    await slowSecond;
    assert.equal(engine.aborted, 1, 'the running generation was aborted');
  });

  it('maps the editor’s cancellation to the engine', async () => {
    const engine = new FakeEngine(['a;'], 50);
    const c = controller(engine);
    let cancel: () => void = () => {};
    const pending = c.provide(request('x = ', { onCancel: (l) => (cancel = l) }));
    await new Promise((r) => setTimeout(r, 5));
    cancel();
    assert.equal(await pending, undefined);
    assert.equal(engine.aborted, 1);
  });

  it('does not trigger automatically with much text right of the cursor, but does when invoked', async () => {
    const engine = new FakeEngine(['a']);
    const c = controller(engine);
    assert.equal(await c.provide(request('f(', { after: 'someLongArgument, other)' })), undefined);
    assert.equal(engine.requests.length, 0);
    assert.ok(await c.provide(request('f(', { after: 'someLongArgument, other)', automatic: false })));
    assert.equal(blockingSuffix(') ];'), '');
  });

  it('respects the enabled switch and the language list', async () => {
    const engine = new FakeEngine(['a']);
    assert.equal(await controller(engine, { enabled: false }).provide(request('x')), undefined);
    assert.equal(await controller(engine).provide(request('x', { languageId: 'markdown' })), undefined);
    assert.equal(engine.requests.length, 0);
  });

  it('passes the stop rule and time budget to the engine, and other files within budget', async () => {
    const engine = new FakeEngine(['a;']);
    const c = controller(engine, { otherFiles: true, contextBudgetChars: 200, timeBudgetMs: 250 });
    c.ring.add('file:///b.ts', 'b.ts', 'export function helperFromB(value: number) {\n  return value * 2;\n}\n');
    await c.provide(request('const y = '));
    const sent = engine.requests[0];
    assert.equal(sent.timeBudgetMs, 250);
    assert.deepEqual(sent.parts.extra, [{ path: 'b.ts', text: 'export function helperFromB(value: number) {\n  return value * 2;\n}\n' }]);
    assert.equal(sent.parts.comment, '//');
    assert.ok(textBeforeCursor(sent.parts).endsWith('const y = '));
    assert.equal(isCompleteFor(sent.stop)('a;\n'), true);
  });

  it('the gate keeps an unlikely suggestion from the ghost text, and hands it on with its probability and reason', async () => {
    // A fake calibration: the more probable the tokens, the likelier right; shown from 50%.
    const calibration: GateCalibration = {
      version: 1, useful: 'exact-line', model: 'fake', positions: 0,
      strategies: { greedy: { intercept: 0, features: [{ name: 'meanProb', mean: 0.5, std: 0.1, weight: 3 }], threshold: 0.5, heldOut: { auroc: 0.7, precision: 0.3, recall: 0.8, baselinePrecision: 0.1, positions: 100 }, enabled: true } },
    };
    const gated = (engine: FakeEngine, gate: ControllerSettings['gate'], results: Suggestion[][] = []) =>
      new CompletionController(engine, () => ({ ...SETTINGS, gate }), new RequestGate(() => 0), { onResult: (_r, _res, s) => results.push([...s]) }, { idleMs: 60_000, prefetchDelayMs: 0, calibration: () => calibration });
    const heard: Suggestion[][] = [];
    // Token probability e^−2.5 ≈ 0.08: 3·(0.08 − 0.5)/0.1 ≈ −12.5, far below the gate.
    const low = await gated(new FakeEngine(['one two'], 0, -2.5), 'auto', heard).provide(request('x = '));
    assert.deepEqual(low?.map((i) => i.text), ['one two'], 'the panel still gets it');
    assert.deepEqual(shownInline(low!), [], 'no ghost text');
    assert.equal(low![0]!.gate?.suppressed, true);
    assert.ok(low![0]!.gate!.probability < 1e-4);
    assert.equal(low![0]!.gate?.weighedMost, 'meanProb');
    assert.match(describeGate(low![0]!.gate!), /^not shown inline: 0% likely right, below the gate's 50%; weighed most: mean token probability$/);
    assert.equal(heard[0]?.[0]?.gate?.suppressed, true, 'the result event carries the verdict');
    // Probability e^−0.1 ≈ 0.9: shown.
    const high = await gated(new FakeEngine(['one two']), 'auto').provide(request('x = '));
    assert.deepEqual(shownInline(high!).map((i) => i.text), ['one two']);
    // "off" gates nothing; a probability of one's own replaces the calibrated threshold.
    assert.equal((await gated(new FakeEngine(['one two'], 0, -2.5), 'off').provide(request('x = ')))![0]!.gate, undefined);
    assert.deepEqual(shownInline((await gated(new FakeEngine(['one two']), 0.999999).provide(request('x = ')))!), []);
    // Without a calibration (the CLI) nothing gates.
    assert.equal((await controller(new FakeEngine(['one two'], 0, -2.5)).provide(request('x = ')))![0]!.gate, undefined);
  });
  it('cuts a suggestion before its first uncertain token', async () => {
    const cut = await controller(new FakeEngine(['one two three four']), { cutAtUncertain: 0.2 }).provide(request('x = '));
    assert.deepEqual(cut?.map((i) => i.text), ['one two']);
  });
});

describe('work while the user is not typing (fake engine)', () => {
  it('prefetches the suggestion that follows the one shown, and accepting it is served from the cache', async () => {
    const engine = new FakeEngine(['value;'], 20);
    const c = controller(engine);
    assert.deepEqual((await c.provide(request('const x = ', { after: '\nnext();' })))?.map((i) => i.text), ['value;']);
    assert.equal(engine.requests.length, 2, 'the prefetch started');
    const prefetch = engine.requests[1]!;
    assert.equal(prefetch.background, true);
    assert.ok(textBeforeCursor(prefetch.parts).endsWith('const x = value;'), 'at the position after accepting');
    await sleep(40);
    // Accepting inserts the suggestion: the next request is at its end, and the answer is ready.
    const accepted = await c.provide(request('const x = value;', { after: '\nnext();' }));
    assert.deepEqual(accepted?.map((i) => i.text), ['value;']);
    assert.equal(engine.requests.length, 2, 'no model call for the accepted position');
    c.dispose();
  });

  it('typing something else cancels the prefetch at once, and nothing is left running', async () => {
    const engine = new FakeEngine(['value;'], 50);
    const gate = new RequestGate(() => 0);
    const c = new CompletionController(engine, () => SETTINGS, gate, {}, { idleMs: 60_000, prefetchDelayMs: 0 });
    await c.provide(request('const x = '));
    assert.equal(engine.active, 1, 'the prefetch is running');
    const other = await c.provide(request('const x = q'));
    assert.ok(other);
    assert.equal(engine.abortedBackground, 1, 'the prefetch was aborted');
    assert.equal(foreground(engine), 2);
    c.dispose();
    await gate.settled();
    assert.equal(engine.active, 0, 'no engine request is left running');
    assert.ok(gate.idle);
    assert.equal(await c.provide(request('const x = qq')), undefined, 'a disposed controller answers nothing');
  });

  it('a settings change cancels the prefetch, and nothing computed under the old settings is served', async () => {
    const engine = new FakeEngine(['value;'], 30);
    const gate = new RequestGate(() => 0);
    const c = new CompletionController(engine, () => SETTINGS, gate, {}, { idleMs: 60_000, prefetchDelayMs: 0 });
    await c.provide(request('const x = '));
    c.invalidate();
    await gate.settled();
    assert.equal(engine.abortedBackground, 1);
    await c.provide(request('const x = value;'));
    assert.equal(foreground(engine), 2, 'the accepted position is computed again');
    c.dispose();
  });

  it('a keystroke at the prefetched position waits for the prefetch instead of cancelling it', async () => {
    const engine = new FakeEngine(['value;'], 40);
    const c = controller(engine);
    await c.provide(request('const x = '));
    const accepted = await c.provide(request('const x = value;'));
    assert.deepEqual(accepted?.map((i) => i.text), ['value;']);
    assert.equal(engine.aborted + engine.abortedBackground, 0);
    assert.equal(foreground(engine), 1, 'the keystroke took the prefetched answer');
    c.dispose();
  });

  it('folds a new snapshot of other files into the cache only when idle, then prompts use it', async () => {
    const engine = new FakeEngine(['a;']);
    const c = controller(engine, { otherFiles: true, contextBudgetChars: 500 }, 0, 30);
    c.ring.add('file:///b.ts', 'b.ts', 'export function helperFromB(value: number) {\n  return value * 2;\n}\n');
    await c.provide(request('const y = '));
    c.ring.add('file:///c.ts', 'c.ts', 'export const fromC = [1, 2, 3].map((n) => n * 10);\n');
    await c.provide(request('const y = q'));
    const paths = (r: EngineRequest) => (r.parts.extra ?? []).map((x) => x.path);
    assert.deepEqual(paths(engine.requests.at(-1)!), ['b.ts'], 'while typing, the snapshot stays');
    assert.equal(engine.warmed.length, 0);
    await sleep(80);
    assert.equal(engine.warmed.length, 1, 'warmed once when idle');
    assert.deepEqual(paths(engine.warmed[0]!), ['b.ts', 'c.ts']);
    assert.equal(engine.warmed[0]!.background, true);
    await c.provide(request('const y = qq'));
    assert.deepEqual(paths(engine.requests.filter((r) => !r.background).at(-1)!), ['b.ts', 'c.ts'], 'then prompts use it');
    await sleep(80);
    assert.equal(engine.warmed.length, 1, 'nothing changed since: no more warming');
    c.dispose();
  });

  it('re-evaluates a KV-shifted prompt exactly when idle', async () => {
    const engine = new FakeEngine(['a;']);
    engine.shifted = 40;
    const c = controller(engine, {}, 0, 30);
    await c.provide(request('const y = '));
    await sleep(80);
    assert.equal(engine.warmed.length, 1);
    assert.ok(textBeforeCursor(engine.warmed[0]!.parts).endsWith('const y = '));
    c.dispose();
  });
});

describe('confidence helpers', () => {
  const steps = [
    { text: 'return', entropy: 0.1, logprob: -0.05 },
    { text: ' a', entropy: 0.3, logprob: -0.2 },
    { text: ' +', entropy: 2.0, logprob: -1.5 },
    { text: ' b', entropy: 0.2, logprob: -0.1 },
  ];
  it('accept-until-uncertain stops before the first high-entropy token, but always takes one', () => {
    assert.equal(acceptUntilUncertain(steps, 1.5), 'return a'.length);
    assert.equal(acceptUntilUncertain(steps, 0.05), 'return'.length);
    assert.equal(acceptUntilUncertain(steps, 10), 'return a + b'.length);
  });
  it('confident length with literal thresholds', () => {
    assert.equal(confidentLength(steps, Math.exp(-1)), 'return a'.length);
    assert.equal(confidentLength(steps, 0), 'return a + b'.length);
    assert.equal(confidentLength(steps, 0.9), 'return'.length);
  });
});

describe('context ring', () => {
  it('keeps the newest chunks of other files within the budget', () => {
    const ring = new ContextRing(3, 4);
    ring.add('a', 'a.ts', 'const alpha = 1;\nconst beta = 2;\n');
    ring.add('b', 'b.ts', 'function gamma() { return 3; }\n');
    ring.add('c', 'c.ts', 'function delta() { return 4; }\n');
    assert.deepEqual(ring.snapshot(1000, 'c').map((c) => c.path), ['a.ts', 'b.ts']);
    const small = ring.snapshot(50, 'x');
    assert.ok(small.reduce((n, c) => n + c.path.length + c.text.length + 2, 0) <= 50);
    assert.deepEqual(small.map((c) => c.path), ['c.ts'], 'the newest chunk that fits');
    ring.add('a', 'a.ts', 'const alpha = 1;\nconst beta = 2;\nconst more = 3;\n');
    assert.deepEqual(ring.window(10, 100), { first: 8, last: 12 });
    assert.deepEqual(ring.window(1, 3), { first: 0, last: 3 });
    assert.equal(ring.size, 3, 'an overlapping chunk of the same file replaces the old one');
  });
});
