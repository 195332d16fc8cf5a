/**
 * Settings the manifest allows and requests arriving together, on the built-in model with its
 * default capacity (context 256, 16 branches): each completes instead of failing.
 */
import * as assert from 'node:assert/strict';
import { AbortError } from '../../src/decoding/language-model';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { MAX_BEAM_WIDTH, SETTING_RULES } from '../../src/host/setting-rules';
import { completeAt, maxCompletionTokens } from '../../src/engine/complete';
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
    const max = (key: keyof typeof SETTING_RULES) => (SETTING_RULES[key] as { max: number }).max;
    const cases = {
      'top-p': { samples: max('sampling.samples') },
      'min-p': { samples: max('sampling.samples') },
      entropy: { branches: max('entropy.branches'), lookahead: max('entropy.lookahead'), lowEntropy: 0, lowVarentropy: 0, highEntropy: 0, highVarentropy: 0 },
      beam: { width: max('beam.width') },
      mcts: { simulations: 64, rolloutDepth: max('mcts.rolloutDepth') },
    } as const;
    for (const [strategy, options] of Object.entries(cases)) {
      const r = await completeAt(m, { parts: parts(1), strategy: strategy as keyof typeof cases, options: { maxTokens: 6, ...options } });
      assert.ok(r.candidates.length >= 1, strategy);
      assert.equal(m.languageModel.liveBranches, 0, strategy);
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
    const requests = Array.from({ length: 50 }, (_, i) => completeAt(m, {
      parts: parts(i % 5), strategy: i % 10 === 9 ? 'beam' : 'greedy', options: { maxTokens: 6, width: MAX_BEAM_WIDTH },
    }));
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
