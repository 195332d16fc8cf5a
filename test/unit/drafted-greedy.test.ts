/**
 * Greedy generation with prompt-lookup drafts, over a table model (fakes are fine for the policy;
 * test/model/drafting.test.ts runs real GGUFs): the same tokens as one step at a time, fewer
 * decodes where the text repeats, and the branch left holding exactly what was yielded.
 */
import * as assert from 'node:assert/strict';
import type { GeneratedToken, NextTokenScores } from '../../src/decoding/language-model';
import { DraftPolicy } from '../../src/decoding/draft-policy';
import { draftedGreedy, type DraftTarget } from '../../src/model/drafted-greedy';
import { MeteredModel } from '../../src/decoding/metered-model';
import type { GenerateRequest, LanguageModel } from '../../src/decoding/language-model';

const EOG = 99;

/** The model's greedy pick after a history: a cycle 1 → 2 → 3 → 4 → 1, broken every 11th token by 7. */
function nextAfter(history: readonly number[]): number {
  if (history.length % 11 === 0) return 7;
  const last = history[history.length - 1]!;
  return last === 7 ? 1 : (last % 4) + 1;
}

const scores = (token: number): NextTokenScores => ({ ids: Int32Array.of(token), logits: Float32Array.of(0), logNormalizer: 0 });

class TableTarget implements DraftTarget {
  kv: number[];
  owed: number[] = [];
  reads = 0;
  decodes = 0;
  decoded = 0;
  constructor(prompt: readonly number[], private readonly pickAfter = nextAfter, private readonly contextSize = 1000) {
    this.kv = [...prompt];
  }
  async settled() {}
  tokens() {
    return this.kv;
  }
  room() {
    return this.contextSize - 1 - this.kv.length - this.owed.length;
  }
  async decodeEach(tokens: readonly number[], _topN: number, from: number, more: (s: NextTokenScores) => boolean) {
    this.decodes++;
    this.decoded += tokens.length;
    const start = this.kv.length;
    this.kv.push(...tokens);
    const read: NextTokenScores[] = [];
    for (let i = from; i < tokens.length; i++) {
      this.reads++;
      const s = scores(this.pickAfter(this.kv.slice(0, start + i + 1)));
      read.push(s);
      if (!more(s)) break;
    }
    return { read, decodeMs: 0 };
  }
  async cut(length: number) {
    this.kv.length = length;
  }
  owe(tokens: readonly number[]) {
    this.owed.push(...tokens);
  }
  takeOwed() {
    return this.owed.splice(0);
  }
  isEndOfGeneration(token: number) {
    return token === EOG;
  }
  count() {}
}

/** Greedy one token at a time: what the drafts must reproduce. */
function stepByStep(prompt: readonly number[], first: number, n: number, pickAfter = nextAfter): number[] {
  const history = [...prompt, first];
  const out: number[] = [];
  while (out.length < n) {
    const t = pickAfter(history);
    out.push(t);
    history.push(t);
    if (t === EOG) break;
  }
  return out;
}

/** Drafts as long as allowed: a drafted token costs nothing here (the policy's own tests are below). */
const drafts = (maxDraft: number) => ({ maxDraft, policy: new DraftPolicy({ priorTokenCost: 0 }) });

const PROMPT = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2];

async function take(stream: AsyncGenerator<GeneratedToken, unknown>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let next = await stream.next(); !next.done; next = await stream.next()) {
    out.push(next.value.token);
    if (out.length === n) {
      await stream.return(undefined);
      break;
    }
  }
  return out;
}

describe('greedy generation with prompt-lookup drafts', () => {
  it('yields the step-by-step greedy tokens in fewer decodes', async () => {
    const target = new TableTarget(PROMPT);
    const out = await take(draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 40 }, drafts(8)), Infinity);
    assert.deepEqual(out, stepByStep(PROMPT, 3, 40));
    assert.equal(out.length, 40);
    // At most 9 tokens a decode (8 drafted and the pick after them); each 7 breaking the cycle
    // refuses a draft, and the decodes after it draft nothing until "7 1" and "1 2" recur.
    assert.equal(target.decodes, 12);
    assert.ok(target.decodes < out.length);
  });

  it('says what each token cost: a call on the first token of each decode, with every token it took', async () => {
    const target = new TableTarget(PROMPT);
    let calls = 0;
    let tokens = 0;
    for await (const t of draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 40 }, drafts(8))) {
      calls += t.cost!.calls;
      tokens += t.cost!.tokens;
    }
    assert.equal(calls, 12);
    assert.equal(calls, target.decodes);
    // Refused drafts were decoded too: more tokens than the 1 + 39 a step-by-step loop evaluates.
    assert.equal(tokens, target.decoded);
    assert.ok(tokens > 40);
  });

  it('a metered model counts the decodes of a drafted generation, and one call for a stream that says nothing', async () => {
    const request: GenerateRequest = { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 40 };
    const target = new TableTarget(PROMPT);
    const drafted = new MeteredModel({ generate: () => draftedGreedy(target, request, drafts(8)) } as unknown as LanguageModel);
    assert.equal((await take(drafted.generate(request)!, Infinity)).length, 40);
    assert.deepEqual([drafted.stats.modelCalls, drafted.stats.tokensEvaluated], [12, target.decoded]);

    async function* plain(): AsyncGenerator<GeneratedToken, 'length'> {
      for (const token of [5, 6, 7]) yield { token, scores: scores(token) };
      return 'length';
    }
    const server = new MeteredModel({ generate: () => plain() } as unknown as LanguageModel);
    await take(server.generate({ ...request, tokens: [3, 4] })!, Infinity);
    // The 2 appended tokens, then the first two tokens yielded, each evaluated for the next one's scores.
    assert.deepEqual([server.stats.modelCalls, server.stats.tokensEvaluated], [1, 4]);
  });

  it('without drafts (maxDraft 0) decodes once per token', async () => {
    const target = new TableTarget(PROMPT);
    const out = await take(draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 12 }, drafts(0)), Infinity);
    assert.deepEqual(out, stepByStep(PROMPT, 3, 12));
    assert.equal(target.decodes, 12);
  });

  it('reads no position after the first refused draft', async () => {
    // The prompt's cycle drafts 4 1 2 ..., but this model always says 5 after 3.
    const target = new TableTarget([1, 2, 3, 4, 1, 2, 3, 4, 1, 2], (h) => (h[h.length - 1] === 3 ? 5 : 3));
    const stream = draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 10 }, drafts(8));
    assert.deepEqual(await take(stream, 1), [5]);
    assert.equal(target.decodes, 1);
    assert.equal(target.reads, 1);
    // The 8 drafted tokens were decoded and erased again.
    assert.deepEqual([...target.kv, ...target.owed], [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 5]);
  });

  for (const stopAfter of [1, 2, 3, 5, 8, 13, 21]) {
    it(`stopped after ${stopAfter} tokens, the branch holds the request's tokens and those yielded`, async () => {
      const target = new TableTarget(PROMPT);
      const out = await take(draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 40 }, drafts(8)), stopAfter);
      assert.deepEqual([...target.kv, ...target.owed], [...PROMPT, 3, ...out]);
      // The last token is owed when it was a decode's own pick; an accepted draft is already in the cache.
      assert.ok(target.owed.length <= 1);
    });
  }

  it('ends at an end-of-generation token, and a later generation decodes what is owed first', async () => {
    const pick = (h: readonly number[]) => (h.length === 16 ? EOG : nextAfter(h));
    const target = new TableTarget(PROMPT, pick);
    const stream = draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 40 }, drafts(8));
    const out = await take(stream, Infinity);
    assert.deepEqual(out, stepByStep(PROMPT, 3, 40, pick));
    assert.equal(out[out.length - 1], EOG);
    assert.deepEqual([...target.kv, ...target.owed], [...PROMPT, 3, ...out]);
    const more = await take(draftedGreedy(target, { branch: { id: 1 }, tokens: [4], topN: 1, maxTokens: 3 }, drafts(8)), Infinity);
    assert.deepEqual([...target.kv, ...target.owed], [...PROMPT, 3, ...out, 4, ...more]);
  });

  it('drafts no further than maxTokens and the context allow', async () => {
    const target = new TableTarget(PROMPT, nextAfter, PROMPT.length + 6);
    const out = await take(draftedGreedy(target, { branch: { id: 1 }, tokens: [3], topN: 1, maxTokens: 40 }, drafts(8)), Infinity);
    // Room for 5 tokens after the prompt's 10 in a context of 16 (one kept free): 3, then 4 more, the last owed.
    assert.deepEqual([...target.kv, ...target.owed].length, PROMPT.length + 6 - 1 + 1);
    assert.deepEqual(out, stepByStep(PROMPT, 3, out.length));
  });
});

describe('draft policy', () => {
  it('drafts while a drafted token is likelier to be kept than it costs', () => {
    // Prior: acceptance 1/2, a drafted token costs 0.1 of a decode. Rates: k=1 1.5/1.1 = 1.364,
    // k=2 1.75/1.2 = 1.458, k=3 1.875/1.3 = 1.442: two tokens.
    assert.equal(new DraftPolicy().length(8), 2);
    assert.equal(new DraftPolicy().length(1), 1);
    assert.equal(new DraftPolicy().length(0), 0);
  });

  it('learns the cost of a drafted token from decode times', () => {
    const p = new DraftPolicy({ forgetting: 1 });
    // D(n) = 1 + 0.5 n ms: a drafted token costs 0.5 / 1.5 of a one-token decode.
    for (const n of [1, 3, 5, 9, 1, 3]) p.record(n, 1 + 0.5 * n, 0, 0);
    assert.ok(Math.abs(p.tokenCost - 1 / 3) < 1e-9, String(p.tokenCost));
    // Acceptance 1/2 at that price: k=1 1.5/1.333 = 1.125, k=2 1.75/1.667 = 1.05: one token.
    assert.equal(p.length(8), 1);
    // D(n) = 1 + 2 n: a drafted token costs 2/3 of a decode, above the acceptance: no draft.
    const q = new DraftPolicy({ forgetting: 1 });
    for (const n of [1, 3, 5, 9, 1, 3]) q.record(n, 1 + 2 * n, 0, 0);
    assert.ok(Math.abs(q.tokenCost - 2 / 3) < 1e-9, String(q.tokenCost));
    assert.equal(q.length(8), 0);
  });

  it('learns acceptance from the drafts kept and refused', () => {
    const p = new DraftPolicy({ forgetting: 1, priorTokenCost: 0.1 });
    // 9 kept and 1 refused on top of the prior's 1 and 1: 10 / 12.
    p.record(5, NaN, 4, 4);
    p.record(7, NaN, 6, 5);
    assert.ok(Math.abs(p.acceptance - 10 / 12) < 1e-12);
    // Tokens per decode time: k=7 4.60/1.7 = 2.706, k=8 4.84/1.8 = 2.687.
    assert.equal(p.length(8), 7);
    const q = new DraftPolicy({ forgetting: 1, priorTokenCost: 0.1 });
    for (let i = 0; i < 10; i++) q.record(5, NaN, 4, 0);
    // 1 kept of 12 tried: 0.083 < 0.1.
    assert.equal(q.length(8), 0);
  });

  it('drifts back to its prior while it does not draft, so it tries again', () => {
    const p = new DraftPolicy({ forgetting: 0.5 });
    for (let i = 0; i < 10; i++) p.record(5, NaN, 4, 0);
    assert.equal(p.length(8), 0);
    for (let i = 0; i < 10; i++) p.record(1, NaN, 0, 0);
    assert.ok(Math.abs(p.acceptance - 0.5) < 0.01);
    assert.equal(p.length(8), 2);
  });
});
