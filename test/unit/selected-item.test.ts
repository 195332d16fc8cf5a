import * as assert from 'node:assert/strict';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { textBeforeCursor, textLines } from '../../src/decoding/prompt-parts';
import { CompletionController, type CompletionEngine, type ControllerSettings, type CursorRequest, type EngineRequest } from '../../src/providers/completion-controller';
import { abortableSleep, RequestGate } from '../../src/providers/request-gate';
import { afterSelectedItem, leadOf, runsOnIntoItem } from '../../src/providers/selected-item';

const SETTINGS: ControllerSettings = {
  enabled: true, languages: ['typescript'], candidates: 1, autoTriggerMaxLineSuffix: 8, timeBudgetMs: 1000, otherFiles: false,
  contextBudgetChars: 0, prefixChars: 10000, suffixChars: 10000, cutAtUncertain: 0, gate: 'off',
};

const TEXT = 'const s = new Stack();\n  s.p\n}';
/** The cursor after `s.p` on line 1. */
const atCursor = (version = 1): CursorRequest => ({
  documentKey: 'file:///a.ts', languageId: 'typescript', document: textLines(TEXT), line: 1, character: 5, automatic: true, version,
});

const result = (text: string): CompletionResult => ({
  strategy: 'greedy',
  candidates: [{ text, tokens: [1], steps: [{ token: 1, text, logprob: -0.1, entropy: 0, varentropy: 0, alternatives: [] }], sumLogprob: -0.1, meanLogprob: -0.1, score: -0.1, finish: 'eog' }],
  tree: new CandidateTree(), stats: { modelCalls: 1, tokensEvaluated: 1, ms: 1 }, fim: true, promptTokens: 10, promptTokensEvaluated: 1, promptTokensShifted: 0,
});

/** Greedy's `(1);` at once, the search's `(2);` after 20 ms; records what it was asked. */
class Engine implements CompletionEngine {
  requests: EngineRequest[] = [];
  async complete(request: EngineRequest, signal: AbortSignal, onFirst?: (r: CompletionResult) => void): Promise<CompletionResult> {
    this.requests.push(request);
    if (request.firstSuggestionMs !== undefined) onFirst?.(result('(1);'));
    await abortableSleep(20, signal);
    return { ...result('(2);'), candidates: [{ ...result('(2);').candidates[0]!, meanLogprob: 0, score: 0 }] };
  }
  async warm(): Promise<void> {}
}

describe('the suggest widget\'s selected item', () => {
  it('puts the completion after the item, in the line as it reads once the item is accepted', () => {
    const r = afterSelectedItem(atCursor(), { line: 1, start: 4, end: 5, text: 'push' })!;
    assert.equal(r.document.lineAt(1), '  s.push');
    assert.equal(r.document.lineAt(0), 'const s = new Stack();');
    assert.equal(r.document.lineCount, 3);
    assert.equal(r.character, 8);
    // The typed "p" starts "push": accepting it inserts "ush" at the cursor.
    assert.deepEqual(r.cursor, { line: 1, character: 5, lead: 'ush' });
  });

  it('has no lead for an item that replaces what was typed (a fuzzy match)', () => {
    const typed: CursorRequest = { ...atCursor(), document: textLines('const s = new Stack();\n  s.psh\n}'), character: 7 };
    const r = afterSelectedItem(typed, { line: 1, start: 4, end: 7, text: 'push' })!;
    assert.equal(r.document.lineAt(1), '  s.push');
    assert.deepEqual(r.cursor, { line: 1, character: 7 });
  });

  it('the lead before the suggestions: none without an item, the item\'s rest, undefined after an item that replaces text', () => {
    assert.equal(leadOf(atCursor()), '');
    assert.equal(leadOf(afterSelectedItem(atCursor(), { line: 1, start: 4, end: 5, text: 'push' })!), 'ush');
    const typed: CursorRequest = { ...atCursor(), document: textLines('const s = new Stack();\n  s.psh\n}'), character: 7 };
    assert.equal(leadOf(afterSelectedItem(typed, { line: 1, start: 4, end: 7, text: 'push' })!), undefined);
  });

  it('gives nothing for an item off the cursor\'s line, across lines, or ending before the cursor', () => {
    assert.equal(afterSelectedItem(atCursor(), { line: 0, start: 0, end: 5, text: 'let' }), undefined);
    assert.equal(afterSelectedItem(atCursor(), { line: 1, start: 4, end: 5, text: 'push\n' }), undefined);
    assert.equal(afterSelectedItem(atCursor(), { line: 1, start: 2, end: 4, text: 's.' }), undefined);
    assert.equal(afterSelectedItem(atCursor(), { line: 1, start: 4, end: 9, text: 'push' }), undefined);
  });

  it('a suggestion that runs on into the item\'s last word is not the item\'s', () => {
    assert.equal(runsOnIntoItem('pop', 'ulated = 1;'), true);
    assert.equal(runsOnIntoItem('pop', '();'), false);
    assert.equal(runsOnIntoItem('pop', ' // top'), false);
    assert.equal(runsOnIntoItem('größe', 'n'), true);
    assert.equal(runsOnIntoItem('$x', '_1'), true);
    assert.equal(runsOnIntoItem('log(', 'x)'), false);
  });

  it('the controller asks the model after the item, and a refinement replaces the suggestion where the editor\'s cursor still is', async () => {
    const engine = new Engine();
    const where = { version: 1, line: 1, character: 5 };
    const c = new CompletionController(engine, () => SETTINGS, new RequestGate(() => 0), {}, { idleMs: 60_000, prefetchDelayMs: 60_000, where: () => where });
    const request = afterSelectedItem(atCursor(), { line: 1, start: 4, end: 5, text: 'push' })!;
    assert.deepEqual((await c.provide(request))?.map((s) => s.text), ['(1);']);
    assert.ok(textBeforeCursor(engine.requests[0]!.parts).endsWith('new Stack();\n  s.push'));
    assert.equal(engine.requests[0]!.stop.linePrefix, '  s.push');
    const refinement = await c.refinement();
    assert.equal(refinement?.replaced, true, 'the editor\'s cursor is where the item was selected, not after it');
    // The next item selected is another request: its own prompt, not the first item's cached suggestion.
    await c.provide(afterSelectedItem(atCursor(), { line: 1, start: 4, end: 5, text: 'peek' })!);
    assert.ok(textBeforeCursor(engine.requests.at(-1)!.parts).endsWith('  s.peek'));
  });
});
