import * as assert from 'node:assert/strict';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { acceptUntilUncertain, confidentLength } from '../../src/providers/confidence';
import { blockingSuffix, CompletionController, type CompletionEngine, type ControllerSettings, type EngineRequest } from '../../src/providers/completion-controller';
import { ContextRing } from '../../src/providers/context-ring';
import { abortableSleep, RequestGate } from '../../src/providers/request-gate';

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
  confidenceThreshold: 0,
  confidenceMode: 'cut',
};

/** A fake engine: answers with fixed candidates, records requests, can be slow. */
class FakeEngine implements CompletionEngine {
  requests: EngineRequest[] = [];
  aborted = 0;
  constructor(
    private readonly texts: string[],
    private readonly delayMs = 0,
    private readonly logprob = -0.1,
  ) {}
  async complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult> {
    this.requests.push(request);
    if (this.delayMs) {
      await abortableSleep(this.delayMs, signal).catch(() => {
        this.aborted++;
        throw new Error('aborted');
      });
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
    return { strategy: 'greedy', candidates, tree: new CandidateTree(), stats: { modelCalls: 1, tokensEvaluated: 1, ms: 1 }, fim: true, promptTokens: 10 };
  }
}

const request = (prefix: string, extra: Partial<Parameters<CompletionController['provide']>[0]> = {}) => ({
  documentKey: 'file:///a.ts',
  languageId: 'typescript',
  prefix,
  suffix: '',
  linePrefix: prefix.split('\n').pop()!,
  lineSuffix: '',
  automatic: true,
  ...extra,
});

function controller(engine: CompletionEngine, settings: Partial<ControllerSettings> = {}, debounceMs = 0) {
  return new CompletionController(engine, () => ({ ...SETTINGS, ...settings }), new RequestGate(() => debounceMs));
}

describe('completion policy (fake engine)', () => {
  it('returns ranked, stop-ruled suggestions and caches them', async () => {
    const engine = new FakeEngine(['value;\nnext();', 'other;', 'value;']);
    const c = controller(engine);
    const items = await c.provide(request('const x = '));
    assert.deepEqual(items?.map((i) => i.text), ['value;', 'other;']);
    // Typing what the suggestion contains reuses it: no model call.
    const again = await c.provide(request('const x = val'));
    assert.deepEqual(again?.map((i) => i.text), ['ue;']);
    assert.equal(engine.requests.length, 1);
    // Going back re-shows it.
    assert.deepEqual((await c.provide(request('const x = ')))?.map((i) => i.text), ['value;', 'other;']);
    assert.equal(engine.requests.length, 1);
    // Typing something else asks the model again.
    await c.provide(request('const x = q'));
    assert.equal(engine.requests.length, 2);
  });

  it('debounces and keeps one generation in flight: a newer keystroke cancels the older', async () => {
    const engine = new FakeEngine(['a;'], 50);
    const c = controller(engine, {}, 20);
    const first = c.provide(request('let a = 1'));
    await new Promise((r) => setTimeout(r, 5));
    const second = c.provide(request('let a = 12'));
    assert.equal(await first, undefined, 'the first request was superseded during its debounce');
    assert.deepEqual((await second)?.map((i) => i.text), ['a;']);
    assert.equal(engine.requests.length, 1, 'only the last keystroke reached the model');

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
    assert.equal(await c.provide(request('f(', { lineSuffix: 'someLongArgument, other)' })), undefined);
    assert.equal(engine.requests.length, 0);
    assert.ok(await c.provide(request('f(', { lineSuffix: 'someLongArgument, other)', automatic: false })));
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
    assert.ok(sent.prefix.startsWith('// b.ts\nexport function helperFromB'), sent.prefix);
    assert.ok(sent.prefix.endsWith('const y = '));
    assert.equal(sent.isComplete('a;\n'), true);
  });

  it('confidence: cut before the first unlikely token, or suppress unlikely suggestions', async () => {
    const cut = await controller(new FakeEngine(['one two three four']), { confidenceThreshold: 0.2, confidenceMode: 'cut' }).provide(request('x = '));
    assert.deepEqual(cut?.map((i) => i.text), ['one two']);
    const suppressed = await controller(new FakeEngine(['one two three'], 0, -2.5), { confidenceThreshold: 0.2, confidenceMode: 'suppress' }).provide(request('x = '));
    assert.deepEqual(suppressed, []);
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
    assert.equal(confidentLength(steps, Math.exp(-1), 'cut'), 'return a'.length);
    assert.equal(confidentLength(steps, 0, 'cut'), 'return a + b'.length);
    assert.equal(confidentLength(steps, 0.9, 'suppress'), 0); // mean logprob −0.46 < ln 0.9
  });
});

describe('context ring', () => {
  it('keeps the newest chunks of other files within the budget', () => {
    const ring = new ContextRing(3, 4);
    ring.add('a', 'a.ts', 'const alpha = 1;\nconst beta = 2;\n');
    ring.add('b', 'b.ts', 'function gamma() { return 3; }\n');
    ring.add('c', 'c.ts', 'function delta() { return 4; }\n');
    const text = ring.render(1000, 'c', '//');
    assert.ok(text.includes('// a.ts') && text.includes('// b.ts') && !text.includes('delta'));
    assert.ok(ring.render(50, 'x', '//').length <= 50);
    ring.add('a', 'a.ts', 'const alpha = 1;\nconst beta = 2;\nconst more = 3;\n');
    assert.deepEqual(ring.window(10, 100), { first: 8, last: 12 });
    assert.deepEqual(ring.window(1, 3), { first: 0, last: 3 });
    assert.equal(ring.size, 3, 'an overlapping chunk of the same file replaces the old one');
  });
});
