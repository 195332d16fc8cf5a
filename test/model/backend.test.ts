/**
 * The llama.cpp backend on the built-in model: determinism, scores, batching, forks, prefix reuse,
 * cancellation. Single-threaded with small contexts so the file runs in seconds on 2 cores.
 */
import * as assert from 'node:assert/strict';
import { AbortError, type Branch } from '../../src/decoding/language-model';
import { BranchLimitError, ContextOverflowError, InvalidBranchError, InvalidTokenError } from '../../src/model/errors';
import type { LoadedModel } from '../../src/model/load';
import { completeAt } from '../../src/engine/complete';
import { decode } from '../../src/decoding/strategies';
import { abortAfterChecks, loadTestModel, logProbs, maxAbsDiff, requireTestModel } from './backend-fixtures';
import { partsFromText } from '../../src/decoding/prompt-parts';

const PREFIX = 'export function add(a: number, b: number): number {\n  return a';
const SUFFIX = ';\n}\n';

describe('llama.cpp backend', function () {
  this.timeout(60_000);
  let m: LoadedModel;
  let prompt: number[];

  before(async () => {
    requireTestModel();
    m = await loadTestModel();
    prompt = [...m.buildPrompt(partsFromText(PREFIX, SUFFIX), { maxNewTokens: 32 }).tokens];
  });
  after(async () => {
    await m?.dispose();
  });

  /** Greedy continuation of `tokens`, each step one evaluate() call. */
  async function greedy(model: LoadedModel, tokens: readonly number[], steps: number, topN = 4) {
    const lm = model.languageModel;
    const s = await lm.start(tokens, topN);
    const out = [s.next];
    try {
      for (let i = 0; i < steps; i++) {
        const [next] = await lm.evaluate([{ branch: s.branch, tokens: [out[out.length - 1]!.ids[0]!], topN }]);
        out.push(next!);
      }
    } finally {
      lm.release(s.branch);
    }
    return out;
  }

  it('loads with a reported backend, one thread, and the vocabulary of the file', () => {
    assert.ok(['cpu', 'cuda', 'vulkan', 'metal'].includes(m.info.backend));
    assert.equal(m.info.threads, 1);
    assert.equal(m.languageModel.vocabSize, m.info.vocabSize);
    assert.equal(m.info.contextSize, 256);
    assert.equal(m.info.scoring, 'direct');
    assert.equal(m.info.copying, 'native');
  });

  it('is deterministic: the same prompt gives the same tokens and logits, also after a reload', async () => {
    const a = await greedy(m, prompt, 12);
    const other = await loadTestModel();
    try {
      const b = await greedy(other, prompt, 12);
      assert.deepEqual(b.map((s) => [...s.ids]), a.map((s) => [...s.ids]));
      assert.deepEqual(b.map((s) => [...s.logits]), a.map((s) => [...s.logits]));
      // Now the prompt comes from the prefix cache: the last prompt token is decoded alone instead
      // of in a 30-token batch, which changes float rounding but not the outcome.
      const c = await greedy(other, prompt, 12);
      assert.deepEqual(c.map((s) => [...s.ids]), a.map((s) => [...s.ids]));
      c.forEach((s, i) => assert.ok(maxAbsDiff(logProbs(s), logProbs(a[i]!)) < 1e-3));
    } finally {
      await other.dispose();
    }
  });

  it('top-N scores agree with the full vocabulary and with the public controlledEvaluate path', async () => {
    const lm = m.languageModel;
    // Deeper requests than the cached scores re-evaluate the last prompt token, so each of these
    // three reads the logits afresh (the counter proves it).
    const evaluated = m.stats.tokensEvaluated;
    const one = await lm.start(prompt, 1);
    lm.release(one.branch);
    const top = await lm.start(prompt, 16);
    lm.release(top.branch);
    const full = await lm.start(prompt, Infinity);
    lm.release(full.branch);
    assert.ok(m.stats.tokensEvaluated - evaluated >= 3);
    assert.ok(full.next.full !== undefined && full.next.full.length === lm.vocabSize);
    assert.deepEqual([...top.next.ids], [...full.next.ids.subarray(0, 16)]);
    assert.deepEqual([...top.next.logits], [...full.next.logits.subarray(0, 16)]);
    for (let i = 0; i < 16; i++) assert.equal(full.next.full[top.next.ids[i]!], top.next.logits[i]);
    assert.ok(Math.abs(top.next.logNormalizer - full.next.logNormalizer) < 1e-4);
    // A top-1 comes from one read (the greedy pick and Σ exp): its logit is relative to the max.
    assert.deepEqual([...one.next.ids], [full.next.ids[0]]);
    assert.ok(Math.abs(logProbs(one.next)[0]! - logProbs(full.next)[0]!) < 1e-5, `${logProbs(one.next)[0]} vs ${logProbs(full.next)[0]}`);
    const pub = await loadTestModel({ scoring: 'public', maxBranches: 2 });
    try {
      assert.equal(pub.info.scoring, 'public');
      for (const n of [1, 16]) {
        const s = await pub.languageModel.start(prompt, n);
        pub.languageModel.release(s.branch);
        assert.deepEqual([...s.next.ids], [...full.next.ids.subarray(0, n)]);
        assert.ok(maxAbsDiff(logProbs(s.next), logProbs(full.next).slice(0, n)) < 1e-4);
      }
    } finally {
      await pub.dispose();
    }
  });

  it('a forked branch scores like the same tokens evaluated from scratch (within 1e-4)', async () => {
    const lm = m.languageModel;
    const s = await lm.start(prompt, 8);
    const forks = [lm.fork(s.branch), lm.fork(s.branch), lm.fork(s.branch)];
    const picks = [0, 1, 2].map((i) => s.next.ids[i]!);
    const before = m.stats;
    const forked = await lm.evaluate(forks.map((branch, i) => ({ branch, tokens: [picks[i]!], topN: 8 })));
    assert.equal(m.stats.decodeCalls - before.decodeCalls, 1, 'all branches of the step went to llama.cpp in one batch');
    assert.equal(m.stats.tokensEvaluated - before.tokensEvaluated, 3, 'forks copied the prompt state instead of re-evaluating it');
    assert.equal(m.stats.forkReplayedTokens, 0);
    assert.ok(m.stats.maxBatchSequences >= 3);
    for (const b of [s.branch, ...forks]) lm.release(b);
    for (const stateCopy of ['native', 'replay'] as const) {
      const scratch = await loadTestModel({ maxBranches: 1, stateCopy });
      try {
        for (let i = 0; i < 3; i++) {
          const ref = await scratch.languageModel.start([...prompt, picks[i]!], 8);
          scratch.languageModel.release(ref.branch);
          assert.deepEqual([...forked[i]!.ids], [...ref.next.ids]);
          assert.ok(maxAbsDiff(logProbs(forked[i]!), logProbs(ref.next)) < 1e-4, `branch ${i}`);
        }
      } finally {
        await scratch.dispose();
      }
    }
  });

  it('truncate() drops a branch\'s last tokens: the next token scores as on a branch that never had them', async () => {
    const lm = m.languageModel;
    const s = await lm.start(prompt, 8);
    const a = lm.fork(s.branch);
    const [one] = await lm.evaluate([{ branch: a, tokens: [s.next.ids[0]!], topN: 8 }]);
    await lm.evaluate([{ branch: a, tokens: [one!.ids[0]!, one!.ids[1]!], topN: 8 }]);
    assert.equal(lm.truncate(a, prompt.length + 1), true);
    const before = m.stats;
    const [other] = await lm.evaluate([{ branch: a, tokens: [one!.ids[1]!], topN: 8 }]);
    assert.equal(m.stats.tokensEvaluated - before.tokensEvaluated, 1, 'only the new token');
    const b = lm.fork(s.branch);
    const [ref] = await lm.evaluate([{ branch: b, tokens: [s.next.ids[0]!, one!.ids[1]!], topN: 8 }]);
    assert.deepEqual([...other!.ids], [...ref!.ids]);
    assert.ok(maxAbsDiff(logProbs(other!), logProbs(ref!)) < 1e-4);
    // An empty evaluate after a truncation re-reads the last kept token.
    assert.equal(lm.truncate(a, prompt.length + 1), true);
    const [reread] = await lm.evaluate([{ branch: a, tokens: [], topN: 8 }]);
    assert.deepEqual([...reread!.ids], [...one!.ids]);
    assert.throws(() => lm.truncate(a, 0), /at least one token/);
    for (const x of [s.branch, a, b]) lm.release(x);
  });

  it('forks fall back to replaying tokens when the native copy is off, with the same scores', async () => {
    const replay = await loadTestModel({ stateCopy: 'replay', maxBranches: 3 });
    try {
      const lm = replay.languageModel;
      assert.equal(replay.info.copying, 'replay');
      const s = await lm.start(prompt, 8);
      const child = lm.fork(s.branch);
      const [reread] = await lm.evaluate([{ branch: child, tokens: [], topN: 8 }]);
      assert.deepEqual([...reread!.ids], [...s.next.ids]);
      const [a, b] = await lm.evaluate([
        { branch: s.branch, tokens: [s.next.ids[1]!], topN: 8 }, { branch: child, tokens: [s.next.ids[1]!], topN: 8 },
      ]);
      assert.ok(maxAbsDiff(logProbs(a!), logProbs(b!)) < 1e-4);
      assert.equal(replay.stats.forkReplayedTokens, prompt.length);
    } finally {
      await replay.dispose();
    }
  });

  it('reuses the previous prompt: only new tokens are evaluated', async () => {
    const fresh = await loadTestModel({ maxBranches: 2 });
    try {
      const lm = fresh.languageModel;
      const first = await lm.start(prompt, 4);
      lm.release(first.branch);
      assert.equal(fresh.stats.tokensEvaluated, prompt.length);
      const typed = [...prompt.slice(0, -1), ...fresh.tokenize(' + b'), prompt[prompt.length - 1]!];
      const extended = await lm.start(typed, 4);
      lm.release(extended.branch);
      const shared = prompt.length - 1;
      assert.equal(fresh.stats.tokensEvaluated, prompt.length + (typed.length - shared));
      assert.equal(fresh.stats.promptTokensReused, shared);
      const again = await lm.start(typed, 4);
      lm.release(again.branch);
      assert.equal(fresh.stats.tokensEvaluated, prompt.length + (typed.length - shared), 'an identical prompt evaluates nothing');
      assert.deepEqual([...again.next.logits], [...extended.next.logits]);
      const deeper = await lm.start(typed, 32);
      lm.release(deeper.branch);
      assert.equal(fresh.stats.tokensEvaluated, prompt.length + (typed.length - shared) + 1, 'more scores than cached: the last token only');
    } finally {
      await fresh.dispose();
    }
  });

  it('a completion extends the prompt branch in place: no fork, same text as a forked run, and the prefix cache still serves the next keystroke', async () => {
    const fresh = await loadTestModel({ maxBranches: 2 });
    try {
      const request = { parts: partsFromText(PREFIX, SUFFIX), strategy: 'greedy' as const, options: { maxTokens: 8 }, healing: false };
      const inPlace = await completeAt(fresh, request);
      assert.equal(fresh.stats.forks, 0);
      const state = await fresh.languageModel.start(prompt, 64);
      const forked = await decode({ name: 'greedy', options: { maxTokens: 8 } }, fresh.languageModel, state);
      fresh.languageModel.release(state.branch);
      assert.equal(fresh.stats.forks, 1);
      assert.deepEqual(inPlace.candidates[0]!.tokens, forked.candidates[0]!.tokens);
      assert.equal(inPlace.candidates[0]!.sumLogprob, forked.candidates[0]!.sumLogprob);
      const before = fresh.stats.tokensEvaluated;
      const next = await completeAt(fresh, { ...request, parts: partsFromText(`${PREFIX} `, SUFFIX) });
      const typed = fresh.buildPrompt(partsFromText(`${PREFIX} `, SUFFIX), { maxNewTokens: 8 }).tokens;
      const evaluatedForPrompt = fresh.stats.tokensEvaluated - before - next.stats.tokensEvaluated;
      assert.ok(evaluatedForPrompt < typed.length / 4, `the next prompt evaluated ${evaluatedForPrompt} of ${typed.length} tokens`);
    } finally {
      await fresh.dispose();
    }
  });

  it('a request that starts while the previous one still holds its branch copies the shared prefix', async () => {
    const fresh = await loadTestModel({ maxBranches: 3 });
    try {
      const lm = fresh.languageModel;
      const a = await lm.start(prompt, 4);
      const b = await lm.start([...prompt, a.next.ids[0]!], 4);
      assert.equal(fresh.stats.tokensEvaluated, prompt.length + 1);
      assert.equal(fresh.stats.forks, 0);
      lm.release(a.branch);
      lm.release(b.branch);
    } finally {
      await fresh.dispose();
    }
  });

  it('cancels a prompt between chunks, and the evaluated part is reused by the next request', async () => {
    const fresh = await loadTestModel({ maxBranches: 2, promptChunk: 8 });
    const reference = await loadTestModel({ maxBranches: 1, promptChunk: 8 });
    try {
      const lm = fresh.languageModel;
      const long = [...fresh.buildPrompt(partsFromText(PREFIX.repeat(4), SUFFIX), { maxNewTokens: 8 }).tokens];
      assert.ok(long.length > 24);
      await assert.rejects(lm.start(long, 4, abortAfterChecks(2)), AbortError);
      assert.equal(fresh.stats.tokensEvaluated, 8, 'stopped after one chunk');
      const done = await lm.start(long, 4);
      lm.release(done.branch);
      assert.equal(fresh.stats.promptTokensReused, 8);
      assert.equal(fresh.stats.tokensEvaluated, long.length);
      // Same chunk boundaries as the interrupted-then-resumed run: identical logits.
      const ref = await reference.languageModel.start(long, 4);
      assert.deepEqual([...done.next.ids], [...ref.next.ids]);
      assert.deepEqual([...done.next.logits], [...ref.next.logits]);
    } finally {
      await fresh.dispose();
      await reference.dispose();
    }
  });

  it('a cancelled step throws AbortError within that step and leaves its branches as they were', async () => {
    const lm = m.languageModel;
    const s = await lm.start(prompt, 4);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(lm.evaluate([{ branch: s.branch, tokens: [s.next.ids[0]!], topN: 4 }], controller.signal), AbortError);
    const evaluated = m.stats.tokensEvaluated;
    await assert.rejects(lm.evaluate([{ branch: s.branch, tokens: [s.next.ids[0]!], topN: 4 }], abortAfterChecks(2)), AbortError);
    assert.equal(m.stats.tokensEvaluated, evaluated + 1, 'the step ran, then was rolled back');
    const [reread] = await lm.evaluate([{ branch: s.branch, tokens: [], topN: 4 }]);
    assert.deepEqual([...reread!.logits], [...s.next.logits], 'the branch is back at the prompt');
    const [next] = await lm.evaluate([{ branch: s.branch, tokens: [s.next.ids[0]!], topN: 4 }]);
    const ref = await greedy(m, prompt, 1);
    assert.deepEqual([...next!.logits], [...ref[1]!.logits]);
    lm.release(s.branch);
  });

  it('stops at end-of-generation tokens: EOS and the FIM markers', () => {
    const lm = m.languageModel;
    const fim = m.info.fim;
    const eos = m.llamaModel.tokens.eos;
    if (eos !== null) assert.ok(lm.isEndOfGeneration(eos));
    if (fim !== null) for (const t of [fim.prefix, fim.suffix]) assert.ok(lm.isEndOfGeneration(t));
    const plain = m.tokenize('return')[0]!;
    assert.ok(!lm.isEndOfGeneration(plain));
    assert.equal(lm.detokenize(m.tokenize('return a + b;')), 'return a + b;');
  });

  it('refuses what cannot work with clear errors', async () => {
    const lm = m.languageModel;
    await assert.rejects(lm.start(Array.from({ length: 300 }, () => prompt[1]!), 4), ContextOverflowError);
    await assert.rejects(lm.start([lm.vocabSize], 4), InvalidTokenError);
    const s = await lm.start(prompt, 4);
    await assert.rejects(lm.evaluate([{ branch: s.branch, tokens: Array.from({ length: 256 }, () => prompt[1]!), topN: 4 }]), ContextOverflowError);
    lm.release(s.branch);
    await assert.rejects(lm.evaluate([{ branch: s.branch, tokens: [1], topN: 4 }]), InvalidBranchError);
    const held: Branch[] = [];
    const root = await lm.start(prompt, 4);
    held.push(root.branch);
    assert.throws(() => {
      for (let i = 0; i < 10; i++) held.push(lm.fork(root.branch));
    }, BranchLimitError);
    for (const b of held) lm.release(b);
  });

  it('budgets a prompt longer than the context: prefix cut from the top, suffix kept', () => {
    const long = m.buildPrompt(partsFromText('let x = 1;\n'.repeat(200) + PREFIX, SUFFIX), { maxNewTokens: 32 });
    assert.ok(long.tokens.length <= 256 - 1 - 32);
    assert.ok(long.droppedPrefixTokens > 0);
    assert.equal(long.droppedSuffixTokens, 0);
    const end = m.buildPrompt(partsFromText(PREFIX, SUFFIX), { maxNewTokens: 32 }).tokens;
    assert.deepEqual(long.tokens.slice(-12), end.slice(-12), 'the text at the cursor and the suffix survive');
  });
});
