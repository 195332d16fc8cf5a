import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import type { CompletionResult } from '../../src/decoding/completion';
import { toPanelState } from '../../src/webview/panel-state';
import { parseFromWebview } from '../../src/webview/protocol';

describe('candidates panel protocol', () => {
  it('accepts only well-formed messages from the webview', () => {
    assert.deepEqual(parseFromWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseFromWebview({ type: 'insert', requestId: 3, candidate: 1 }), { type: 'insert', requestId: 3, candidate: 1 });
    for (const bad of [null, 'insert', {}, { type: 'insert', requestId: '3', candidate: 1 }, { type: 'insert', requestId: 3, candidate: -1 }, { type: 'insert', requestId: 3, candidate: 1.5 }, { type: 'insert', requestId: 3, candidate: 1, code: 'x' }, { type: 'eval', code: 'alert(1)' }, { type: 'ready', extra: 1 }]) {
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

  it('the browser side renders model text with textContent only', () => {
    const dir = join(__dirname, '../../src/webview/browser');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, file);
    }
  });
});
