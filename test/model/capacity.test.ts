/**
 * Settings the manifest allows and requests arriving together, on the built-in model with its
 * default capacity (context 256, 16 branches): each completes instead of failing.
 */
import * as assert from 'node:assert/strict';
import { AbortError } from '../../src/decoding/language-model';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { STRATEGY_NAMES } from '../../src/decoding/strategies';
import { optionsFromSettings, settingsOf } from '../../src/host/setting-rules';
import { MAX_BEAM_WIDTH } from '../../src/decoding/strategies/beam';
import { completeAt, maxCompletionTokens, type CursorCompletion } from '../../src/engine/complete';
import { DEFAULT_MAX_BRANCHES, type LoadedModel } from '../../src/model/load';
import { loadTestModel, requireTestModel } from './backend-fixtures';

const parts = (n: number) => partsFromText(`function add${n}(a, b) {\n  return `, '\n}\n');

describe('capacity: settings and concurrent requests (real llama.cpp)', function () {
  this.timeout(120_000);
  let m: LoadedModel;
  before(async () => {
    requireTestModel();
    m = await loadTestModel({ contextSize: 256, maxBranches: DEFAULT_MAX_BRANCHES });
  });
  after(() => m?.dispose());

  it('the widest beam the settings allow runs with the default branches', async () => {
    const r = await completeAt(m, { parts: parts(0), strategy: 'beam', options: { maxTokens: 8, width: MAX_BEAM_WIDTH } });
    assert.ok(r.candidates.length >= 1);
    assert.equal(m.languageModel.liveBranches, 0);
  });

  it('every strategy runs at the largest values its settings allow', async () => {
    for (const name of STRATEGY_NAMES) {
      const largest = Object.fromEntries([...settingsOf(name)].map(([key, s]) => [key, s.rule.max]));
      const { options } = optionsFromSettings(name, largest);
      // Entropy at its widest fork needs a fork to happen: every step is one. MCTS's most simulations only take longer.
      const overrides = name === 'entropy' ? { lowEntropy: 0, lowVarentropy: 0, highEntropy: 20, highVarentropy: 0 } : name === 'mcts' ? { simulations: 64 } : {};
      const r = await completeAt(m, { parts: parts(1), strategy: name, options: { ...options, ...overrides, maxTokens: 6 } } as CursorCompletion);
      assert.ok(r.candidates.length >= 1, name);
      assert.equal(m.languageModel.liveBranches, 0, name);
    }
  });

  it('a maxTokens larger than the context is clamped, and the result says so', async () => {
    const r = await completeAt(m, { parts: parts(0), strategy: 'greedy', options: { maxTokens: 512, ignoreEndOfGeneration: true } });
    assert.deepEqual(r.maxTokensClamped, { asked: 512, used: maxCompletionTokens(256), contextSize: 256 });
    assert.equal(r.candidates[0]!.tokens.length, maxCompletionTokens(256));
    assert.equal(maxCompletionTokens(256), 191);
    assert.equal(maxCompletionTokens(64), 31);
  });

  it('fifty requests at once all complete, each with the result it gets alone', async () => {
    const alone: string[] = [];
    for (let i = 0; i < 5; i++) alone.push((await completeAt(m, { parts: parts(i), strategy: 'greedy', options: { maxTokens: 6 } })).candidates[0]!.text);
    const requests = Array.from({ length: 50 }, (_, i) => completeAt(m, i % 10 === 9
      ? { parts: parts(i % 5), strategy: 'beam', options: { maxTokens: 6, width: MAX_BEAM_WIDTH } }
      : { parts: parts(i % 5), strategy: 'greedy', options: { maxTokens: 6 } }));
    const results = await Promise.all(requests);
    results.forEach((r, i) => {
      if (i % 10 !== 9) assert.equal(r.candidates[0]!.text, alone[i % 5], `request ${i}`);
      else assert.ok(r.candidates.length > 0);
    });
    assert.equal(m.languageModel.liveBranches, 0);
    assert.equal(m.scheduler.queued, 0);
  });

  it('a foreground request cancels the background work running, and background work waits behind it', async () => {
    const background = completeAt(m, { parts: parts(7), strategy: 'mcts', options: { maxTokens: 16, simulations: 400 }, background: true });
    await new Promise((r) => setTimeout(r, 20));
    const foreground = completeAt(m, { parts: parts(8), strategy: 'greedy', options: { maxTokens: 4 } });
    const later = completeAt(m, { parts: parts(9), strategy: 'greedy', options: { maxTokens: 4 }, background: true });
    await assert.rejects(background, AbortError);
    assert.ok((await foreground).candidates.length > 0);
    assert.ok((await later).candidates.length > 0);
  });
});
