import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { toPanelState } from '../../src/webview/panel-state';
import { withStopRules } from '../../src/engine/session';
import { parseFromWebview } from '../../src/webview/protocol';

describe('candidates panel protocol', () => {
  it('accepts only well-formed messages from the webview', () => {
    assert.deepEqual(parseFromWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromWebview({ type: 'insert', requestId: 3, candidate: 1 }), { type: 'insert', requestId: 3, candidate: 1 });
    for (const bad of [null, 'insert', {}, { type: 'insert', requestId: '3', candidate: 1 }, { type: 'insert', requestId: 3, candidate: -1 }, { type: 'insert', requestId: 3, candidate: 1.5 }, { type: 'insert', requestId: 3, candidate: 1, code: 'x' }, { type: 'eval', code: 'alert(1)' }, { type: 'ready', extra: 1 }]) {
      assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
    }
  });

  it('accepts a request to open a context entry only by completion id and index', () => {
    assert.deepEqual(parseFromWebview({ type: 'openContext', requestId: 4, index: 0 }), { type: 'openContext', requestId: 4, index: 0 });
    for (const bad of [{ type: 'openContext', requestId: 4 }, { type: 'openContext', requestId: 4, index: -1 }, { type: 'openContext', requestId: 4, index: 0.5 }, { type: 'openContext', requestId: 4, index: 0, file: '/etc/passwd' }, { type: 'openContext', requestId: 'x', index: 0 }]) {
      assert.equal(parseFromWebview(bad), undefined, JSON.stringify(bad));
    }
  });

  it('panel state carries scores and token details, and bounds the tree', () => {
    const tree = new CandidateTree(5000);
    for (let i = 0; i < 600; i++) tree.addPath([{ token: i, text: `t${i}`, logprob: -1, entropy: 1, varentropy: 0 }]);
    const result: CompletionResult = {
      strategy: 'mcts',
      fim: true,
      promptTokens: 12,
      promptTokensEvaluated: 12,
      promptTokensShifted: 0,
      stats: { modelCalls: 3, tokensEvaluated: 9, ms: 5 },
      tree,
      candidates: [
        {
          text: '<img src=x onerror=alert(1)>',
          tokens: [1],
          steps: [{ token: 1, text: '<img src=x onerror=alert(1)>', logprob: -0.5, entropy: 2, varentropy: 1, alternatives: [{ token: 2, text: 'b', logprob: -1 }], regime: 'branch' }],
          sumLogprob: -0.5,
          meanLogprob: -0.5,
          score: 0.7,
          finish: 'eog',
          visits: 7,
          value: -0.4,
        },
      ],
    };
    const state = toPanelState(9, 'a.ts', 3, result);
    assert.equal(state.requestId, 9);
    assert.equal(state.candidates[0].visits, 7);
    assert.equal(state.candidates[0].tokens[0].regime, 'branch');
    assert.equal(state.candidates[0].text, '<img src=x onerror=alert(1)>', 'carried as data, escaped by the renderer');
    assert.ok(state.tree.nodeCount <= 400);
    assert.equal(state.tree.nodeCount + state.tree.dropped, 601);
    assert.doesNotThrow(() => JSON.stringify(state));
  });

  it('panel state says where the engine\'s stop rules cut each candidate, which were dropped, and what healing re-typed', () => {
    const step = (token: number, text: string) => ({ token, text, logprob: -0.5, entropy: 1, varentropy: 0, alternatives: [] });
    const candidate = (text: string, steps: ReturnType<typeof step>[]) => ({ text, tokens: steps.map((s) => s.token), steps, sumLogprob: -1, meanLogprob: -0.5, score: -1, finish: 'eog' as const });
    const raw: CompletionResult = {
      strategy: 'beam', fim: true, promptTokens: 5, promptTokensEvaluated: 5, promptTokensShifted: 0, stats: { modelCalls: 2, tokensEvaluated: 4, ms: 1 },
      tree: new CandidateTree(100), healed: ' t',
      // function add(a, b) {⏎  return a|⏎}: the first candidate ends on the document's "}", the second is nothing but it.
      candidates: [candidate(';\n}', [step(1, ' t;'), step(2, '\n}')]), candidate('\n}', [step(3, ' t'), step(2, '\n}')])],
    };
    const stop = { linePrefix: '  return t', lineSuffix: '', suffix: '\n}\n' };
    const state = toPanelState(4, 'add.js', 2, withStopRules(raw, stop));
    assert.equal(state.healed, ' t');
    assert.deepEqual(state.candidates.map((c) => [c.text, c.cut, c.dropped]), [
      [';\n}', { at: 1, reason: 'repeats-suffix' }, undefined],
      ['\n}', { at: 0, reason: 'repeats-suffix' }, true],
    ]);
  });

  it('the browser side renders model text with textContent only', () => {
    const dir = join(__dirname, '../../src/webview/browser');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, file);
    }
  });
});
