import * as assert from 'node:assert/strict';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { textLines } from '../../src/decoding/prompt-parts';
import type { DefinitionContext } from '../../src/context/definition-context';
import { CompletionController, type CompletionEngine, type ControllerSettings, type CursorRequest, type EngineRequest } from '../../src/providers/completion-controller';
import type { DefinitionSource } from '../../src/providers/definition-snapshots';
import { RequestGate } from '../../src/providers/request-gate';

const SETTINGS: ControllerSettings = {
  enabled: true, languages: ['typescript'], candidates: 1, autoTriggerMaxLineSuffix: 8, timeBudgetMs: 1000,
  otherFiles: true, contextBudgetChars: 3000, prefixChars: 10000, suffixChars: 10000, cutAtUncertain: 0, gate: 'off', definitions: true,
} as ControllerSettings;

class Engine implements CompletionEngine {
  requests: EngineRequest[] = [];
  warmed: EngineRequest[] = [];
  async complete(request: EngineRequest): Promise<CompletionResult> {
    this.requests.push(request);
    return {
      strategy: 'greedy', tree: new CandidateTree(), stats: { modelCalls: 1, tokensEvaluated: 1, ms: 1 }, fim: true, promptTokens: 10, promptTokensEvaluated: 1, promptTokensShifted: 0,
      candidates: [{ text: 'x;', tokens: [1], steps: [{ token: 1, text: 'x;', logprob: -0.1, entropy: 0.1, varentropy: 0, alternatives: [] }], sumLogprob: -0.1, meanLogprob: -0.1, score: 0, finish: 'eog' }],
    };
  }
  async warm(request: EngineRequest): Promise<void> {
    this.warmed.push(request);
  }
}

const ORDER: DefinitionContext = {
  chunks: [{ path: 'types.ts', text: 'export interface Order {\n  total: number;\n}' }],
  used: [{ file: 'file:///types.ts', path: 'types.ts', symbol: 'order', firstLine: 0, lastLine: 2 }],
};

class Source implements DefinitionSource {
  calls: { line: number; version?: number; window: { first: number; last: number } }[] = [];
  constructor(private readonly answer: () => Promise<DefinitionContext>) {}
  resolve(request: CursorRequest, window: { first: number; last: number }): Promise<DefinitionContext> {
    this.calls.push({ line: request.line, version: request.version, window });
    return this.answer();
  }
}

const request = (prefix: string, version: number): CursorRequest => ({
  documentKey: 'file:///main.ts', languageId: 'typescript', document: textLines(prefix), version, automatic: true,
  line: prefix.split('\n').length - 1, character: prefix.length - (prefix.lastIndexOf('\n') + 1),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const paths = (r: EngineRequest) => (r.parts.extra ?? []).map((c) => c.path);

describe('definitions in the completion controller', () => {
  it('resolves on entering a block and when idle, never per keystroke, and folds them in while idle', async () => {
    const engine = new Engine();
    const source = new Source(async () => ORDER);
    const c = new CompletionController(engine, () => SETTINGS, new RequestGate(() => 0), {}, { idleMs: 40, prefetchDelayMs: 60_000, definitions: source });
    const head = 'import { load } from "./store";\nconst order = load();\n';
    let version = 1;
    for (const typed of ['o', 'or', 'ord', 'orde', 'order', 'order.']) await c.provide(request(head + typed, version++));
    await sleep(5);
    assert.equal(source.calls.length, 1, 'one lookup on entering the block, none per keystroke');
    assert.ok(engine.requests.every((r) => paths(r).length === 0), 'typing keeps the prompt it started with');
    await sleep(120);
    assert.equal(source.calls.length, 2, 'the idle lookup for the current version');
    assert.deepEqual(source.calls[1]!.window, { first: 0, last: 3 });
    assert.equal(engine.warmed.length, 1);
    assert.deepEqual(paths(engine.warmed[0]!), ['types.ts']);
    assert.deepEqual(c.definitions.used('file:///main.ts'), ORDER);
    await c.provide(request(head + 'order.t', version++));
    await c.provide(request(head + 'order.to', version++));
    assert.deepEqual(engine.requests.slice(-2).map(paths), [['types.ts'], ['types.ts']], 'then every prompt holds them, unchanged');
    c.dispose();
  });

  it('shares the budget with the ring: definitions last, the ring in what they leave', async () => {
    const engine = new Engine();
    const big: DefinitionContext = { chunks: [{ path: 'types.ts', text: 'x'.repeat(1500) }], used: [] };
    const c = new CompletionController(engine, () => SETTINGS, new RequestGate(() => 0), {}, { idleMs: 30, prefetchDelayMs: 60_000, definitions: new Source(async () => big) });
    for (const name of ['a', 'b', 'c']) c.ring.add(`file:///${name}.ts`, `${name}.ts`, `export const ${name} = [\n${'  1,\n'.repeat(220)}];`);
    await c.provide(request('order.', 1));
    assert.deepEqual(paths(engine.requests[0]!), ['b.ts', 'c.ts'], 'before the lookup the ring has the whole budget');
    await sleep(100);
    assert.deepEqual(paths(engine.warmed[0]!), ['c.ts', 'types.ts']);
    c.dispose();
  });

  it('a language server that never answers leaves completions as they were', async () => {
    const engine = new Engine();
    const c = new CompletionController(engine, () => SETTINGS, new RequestGate(() => 0), {}, { idleMs: 20, prefetchDelayMs: 60_000, definitions: new Source(() => new Promise(() => undefined)) });
    const shown = await c.provide(request('const a = ', 1));
    assert.deepEqual(shown?.map((s) => s.text), ['x;']);
    await sleep(60);
    assert.equal(engine.warmed.length, 0);
    assert.deepEqual((await c.provide(request('const a = b', 2)))?.map((s) => s.text), ['x;']);
    c.dispose();
  });

  it('the setting turns them off', async () => {
    const engine = new Engine();
    const source = new Source(async () => ORDER);
    const c = new CompletionController(engine, () => ({ ...SETTINGS, definitions: false }), new RequestGate(() => 0), {}, { idleMs: 20, prefetchDelayMs: 60_000, definitions: source });
    await c.provide(request('order.', 1));
    await sleep(60);
    assert.equal(source.calls.length, 0);
    c.dispose();
  });
});
