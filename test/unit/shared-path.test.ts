/**
 * The first pass of an anytime completion reads a backend's stream through PathMemo: when it stops
 * early (the stop rules, the deadline), the backend's stream must end too, since a llama-server
 * stream holds one of the server's slots until it is closed.
 */
import * as assert from 'node:assert/strict';
import type { GeneratedToken, GenerationEnd, LanguageModel } from '../../src/decoding/language-model';
import { PathMemo } from '../../src/decoding/shared-path';
import { TableModel } from '../support/table-model';

/** A first pass that recorded "a b", and the search's model over it. */
async function recordedAB(more: Record<string, Record<string, number>> = {}) {
  const m = new TableModel({ vocab: ['a', 'b', 'c'], rules: { '': { a: 0.6, b: 0.4 }, a: { b: 0.7, c: 0.3 }, b: { c: 1 }, c: { a: 1 }, ...more } });
  const prompt = await m.start([], 4);
  const memo = new PathMemo(m, prompt);
  const rec = memo.recording();
  const first = rec.fork(prompt.branch);
  await rec.evaluate([{ branch: first, tokens: m.ids('a'), topN: 2 }]);
  await rec.evaluate([{ branch: first, tokens: m.ids('b'), topN: 2 }]);
  rec.release(first);
  return { m, prompt, search: memo.replaying() };
}

describe('PathMemo', () => {
  it('ends the backend\'s stream when the first pass stops reading early', async () => {
    let closed = false;
    const scores = { ids: Int32Array.from([7]), logits: Float32Array.from([0]), logNormalizer: 0 };
    const inner = {
      vocabSize: 10,
      isEndOfGeneration: () => false,
      tokenText: () => 'x',
      detokenize: (t: readonly number[]) => 'x'.repeat(t.length),
      start: async () => ({ branch: { id: 1 }, tokens: [], next: scores }),
      fork: () => ({ id: 2 }),
      release: () => undefined,
      evaluate: async () => [scores],
      generate: () => (async function* (): AsyncGenerator<GeneratedToken, GenerationEnd> {
        try {
          for (;;) yield { token: 7, scores };
        } finally {
          closed = true;
        }
      })(),
    } as unknown as LanguageModel;
    const state = await inner.start([1], 1);
    const stream = new PathMemo(inner, state).recording().generate!({ branch: state.branch, tokens: [], topN: 1, maxTokens: 100 })!;
    await stream.next();
    await stream.next();
    assert.equal(closed, false);
    await stream.return(undefined as never);
    assert.equal(closed, true, 'the backend\'s stream was left open');
  });

  it('the search\'s truncate() drops tokens still waiting on the record, and truncates the real branch only below them', async () => {
    const { m, prompt, search } = await recordedAB();
    const branch = search.fork(prompt.branch);
    const calls = m.calls.length;
    // "a b" is on the record: read from it, its tokens wait on the branch.
    await search.evaluate([{ branch, tokens: m.ids('a b'), topN: 2 }]);
    assert.equal(m.calls.length, calls);
    assert.equal(search.truncate!(branch, 1), true);
    assert.equal(m.truncations, 0, 'only waiting tokens were dropped');
    // Off the record: "a" waits, "c" is new; the real branch gets both.
    const [afterAC] = await search.evaluate([{ branch, tokens: m.ids('c'), topN: 2 }]);
    assert.deepEqual(m.calls.at(-1)!.map((r) => r.tokens), [m.ids('a c')]);
    assert.equal(m.tokenText(afterAC!.ids[0]!), ' a');
    assert.equal(search.truncate!(branch, 0), true);
    assert.equal(m.truncations, 1, 'below what the real branch holds: truncated there');
    const [afterB] = await search.evaluate([{ branch, tokens: m.ids('b'), topN: 2 }]);
    assert.equal(m.tokenText(afterB!.ids[0]!), ' c');
    search.release(branch);
  });

  it('a search\'s branch that must evaluate waiting tokens copies a branch that evaluated them instead, and reads the same scores', async () => {
    const { m, prompt, search } = await recordedAB({ 'b a': { b: 0.9, c: 0.1 } });
    // Both follow the record "a b" (its tokens wait), then leave it: one evaluates "a b" and "c"...
    const one = search.fork(prompt.branch);
    await search.evaluate([{ branch: one, tokens: m.ids('a b'), topN: 2 }]);
    const two = search.fork(one);
    await search.evaluate([{ branch: one, tokens: m.ids('c'), topN: 2 }]);
    assert.deepEqual(m.calls.at(-1)!.map((r) => r.tokens), [m.ids('a b c')]);
    // ...the other takes a copy of it cut back after "a b", and evaluates only its own "a".
    const truncations = m.truncations;
    const [after] = await search.evaluate([{ branch: two, tokens: m.ids('a'), topN: 2 }]);
    assert.deepEqual(m.calls.at(-1)!.map((r) => r.tokens), [m.ids('a')], 'it evaluated "a b" again');
    assert.equal(m.truncations, truncations + 1);
    assert.equal(m.tokenText(after!.ids[0]!), ' b', 'the scores after "a b a"');
    assert.ok(Math.abs(after!.logits[0]! - after!.logNormalizer - Math.log(0.9)) < 1e-6);
    // Its handle still works: truncate, evaluate, release.
    assert.equal(search.truncate!(two, 2), true);
    const [again] = await search.evaluate([{ branch: two, tokens: m.ids('c'), topN: 2 }]);
    assert.equal(m.tokenText(again!.ids[0]!), ' a');
    for (const b of [one, two]) search.release(b);
    assert.equal(m.liveBranches, 1, 'only the prompt\'s branch is left');
  });
});
