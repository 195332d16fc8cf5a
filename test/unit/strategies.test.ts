import * as assert from 'node:assert/strict';
import { AbortError } from '../../src/decoding/language-model';
import { decode, STRATEGY_NAMES, type StrategyCall } from '../../src/decoding/strategies';
import { classify, entropy } from '../../src/decoding/strategies/entropy';
import type { StrategyName } from '../../src/decoding/strategy';
import { forkModel, trapModel } from '../support/trap-models';
import { randomTableModel } from '../support/random-table';
import { TableModel } from '../support/table-model';

/** Any strategy with options as a record: the tests set options of several strategies in one loop. */
const call = (name: StrategyName, options: Record<string, unknown>) => ({ name, options }) as StrategyCall;

async function run(name: StrategyName, model: TableModel, options: Record<string, unknown> = {}, signal?: AbortSignal) {
  const prompt = await model.start([], Infinity);
  const result = await decode(call(name, { maxTokens: 8, ...options }), model, prompt, signal);
  return { result, prompt };
}

describe('strategies on the in-memory model', () => {
  it('greedy falls into the trap: it takes the likelier first word', async () => {
    const { result } = await run('greedy', trapModel());
    assert.equal(result.candidates[0].text, ' a c');
    assert.ok(Math.abs(result.candidates[0].sumLogprob - (Math.log(0.55) + Math.log(0.34))) < 1e-6);
    assert.equal(result.candidates[0].finish, 'eog');
  });

  it('beam search finds the path with the higher total likelihood, one model call per step for all beams', async () => {
    const model = trapModel();
    const { result } = await run('beam', model, { width: 2 });
    assert.equal(result.candidates[0].text, ' b y');
    assert.ok(result.candidates.some((c) => c.text === ' a c'));
    assert.equal(result.stats.modelCalls, model.calls.length);
    assert.ok(model.calls.some((call) => call.length === 2), 'beams of one step share one call');
    // HF score: Σ log p (incl. EOS) / length^α, length counting the EOS.
    const best = Math.log(0.45) + 2 * Math.log(0.95);
    assert.ok(Math.abs(result.candidates[0].score - best / 3) < 1e-6);
  });

  it('beam length penalty: α = 0 scores by total log-probability, α = 2 divides by length²', async () => {
    const best = Math.log(0.45) + 2 * Math.log(0.95);
    const flat = await run('beam', trapModel(), { width: 3, lengthPenalty: 0 });
    assert.ok(Math.abs(flat.result.candidates[0].score - best) < 1e-6);
    const squared = await run('beam', trapModel(), { width: 3, lengthPenalty: 2 });
    assert.ok(Math.abs(squared.result.candidates[0].score - best / 9) < 1e-6);
  });

  it('beam drops a running beam that could no longer be a candidate, and the result is the one it would have been', async () => {
    // Width 2, α 1, 'never', 6 tokens. Step 2 finishes " b" (Σ ln .4 + ln .97 over 2) and " a"
    // (ln .6 + ln .6 over 2): the worst finished score is -0.511. " b y" (Σ -4.423) could reach
    // -4.423 / 6 = -0.737 at best and is dropped; " a x" (-1.427, at best -0.238) goes on alone.
    const model = new TableModel({
      vocab: ['<eos>', 'a', 'b', 'x', 'y'],
      eos: '<eos>',
      rules: {
        '': { a: 0.6, b: 0.4 },
        a: { '<eos>': 0.6, x: 0.4 },
        b: { '<eos>': 0.97, y: 0.03 },
        x: { '<eos>': 0.95, x: 0.05 },
        y: { '<eos>': 0.9, y: 0.1 },
      },
    });
    const { result } = await run('beam', model, { width: 2, earlyStopping: 'never', lengthPenalty: 1, maxTokens: 6 });
    const l = Math.log;
    assert.deepEqual(result.candidates.map((c) => c.text), [' b', ' a x']);
    assert.ok(Math.abs(result.candidates[0]!.score - (l(0.4) + l(0.97)) / 2) < 1e-6);
    assert.ok(Math.abs(result.candidates[1]!.score - (l(0.6) + l(0.4) + l(0.95)) / 3) < 1e-6);
    // Step 1 evaluates " a" and " b"; step 2 only " a x" (" b y" is dropped); step 3 would extend
    // " a x x" (Σ -4.42, at best -0.737 against -0.493), which is dropped too: the search ends.
    assert.deepEqual(model.calls.map((c) => c.length), [2, 1]);
  });

  it('MCTS with a budget finds the better path and respects its call budget', async () => {
    const model = trapModel();
    const { result } = await run('mcts', model, { simulations: 16, rolloutDepth: 3, maxModelCalls: 200 });
    assert.equal(result.candidates[0].text, ' b y');
    assert.ok(result.stats.modelCalls <= 200);
    assert.ok((result.candidates[0].visits ?? 0) > 0);
    for (const c of result.candidates) assert.ok(c.score >= 0 && c.score <= 1, `visit share ${c.score}`);
    assert.ok(result.candidates[0].score >= 0.5, 'the committed first token got most visits');
    const tight = await run('mcts', trapModel(), { simulations: 16, maxModelCalls: 5 });
    assert.ok(tight.result.stats.modelCalls <= 5, `${tight.result.stats.modelCalls} calls`);
    assert.ok(tight.result.candidates.length > 0);
  });

  it('MCTS counts the kept subtree\'s visits toward the next token\'s simulations, deterministically', async () => {
    const runs = [await run('mcts', trapModel(), { simulations: 16, parallel: 4 }), await run('mcts', trapModel(), { simulations: 16, parallel: 4 })];
    const [a, b] = runs.map((r) => JSON.parse(JSON.stringify(r.result.tree)));
    assert.deepEqual(a, b, 'same tree, visits and values from the same model and options');
    assert.deepEqual(runs[0]!.result.stats, { ...runs[1]!.result.stats, ms: runs[0]!.result.stats.ms });
    assert.equal(runs[0]!.result.candidates[0]!.text, ' b y');
    const b1 = a.root.children.find((c: { text: string }) => c.text === ' b');
    const y = b1.children.find((c: { text: string }) => c.text === ' y');
    // ' b' got most of the first decision's 16 simulations, most of them through ' y'; the second
    // decision (at ' b') tops those up to 16 instead of running 16 more (which would put ' y' past 20).
    assert.ok(b1.visits >= 8, `' b' has ${b1.visits} visits`);
    assert.ok(y.visits > 0 && y.visits <= 16, `' y' has ${y.visits} visits`);
  });

  it('MCTS reads each position once: literal results, and no position read twice but deeper or on the committed branch', async () => {
    // Literal results of the search (first-level children: text, visits, mean value) and the
    // positions it read. Reading every simulation's leaf and rollout afresh, it read 140, 128 and
    // 143 (before an in-flight unvisited node's virtual loss started from its parent's value).
    const before = [
      { seed: 1, texts: [' w2 w3 w0 w4 w1 w5 w1 w4', ' w5 w1 w4', ' w1'], first: [[' w5', 7, -0.98732], [' w2', 8, -0.830759], [' w1', 1, -1.16007], [' w4', 0, 0]], reads: 113 },
      { seed: 2, texts: [' w2 w3 w5 w2 w1 w3 w4 w3', ' w3 w2 w4 w2', ' w0'], first: [[' w2', 8, -0.895431], [' w3', 7, -0.895977], [' w0', 1, -1.074269], [' w5', 0, 0]], reads: 97 },
      { seed: 3, texts: [' w1 w1 w4 w5 w0 w5 w5 w5', ' w4 w5 w0 w5', ' w2 w0 w4', ' w5'], first: [[' w1', 6, -0.858767], [' w4', 5, -0.910746], [' w2', 4, -0.998802], [' w5', 1, -1.102745]], reads: 106 },
    ];
    for (const want of before) {
      const model = randomTableModel(6, want.seed);
      const { result } = await run('mcts', model, { simulations: 16, rolloutDepth: 3, parallel: 4, maxMs: 1e9 });
      const tree = JSON.parse(JSON.stringify(result.tree));
      assert.deepEqual(result.candidates.map((c) => c.text), want.texts);
      assert.deepEqual(tree.root.children.map((c: { text: string; visits: number; value: number }) => [c.text, c.visits, +c.value.toFixed(6)]), want.first);
      assert.equal(model.reads.length, want.reads);
      assert.equal(result.stats.topOneReads! + result.stats.deepReads!, model.reads.length, 'the stats count every read');
      assert.equal(result.stats.deepReads, model.reads.filter((r) => r.topN > 1).length);
      // A position is read again only deeper (a rollout's top token, then an expansion's top N), or
      // on the committed branch, which must take the committed token in.
      const committed = result.candidates[0]!.tokens;
      const deepest = new Map<string, number>();
      for (const r of model.reads) {
        const key = r.tokens.join(',');
        const seen = deepest.get(key);
        if (seen !== undefined && r.topN <= seen) assert.deepEqual(r.tokens, committed.slice(0, r.tokens.length), `position ${key} read twice`);
        deepest.set(key, Math.max(seen ?? 0, r.topN));
      }
    }
  });

  it('MCTS sends a finished simulation\'s branch down the next path that starts the same way: the same search, fewer tokens decoded and forks', async () => {
    const decoded = (m: TableModel) => m.calls.flat().reduce((a, r) => a + r.tokens.length, 0);
    // Per seed: tokens decoded, forks and model calls with held branches, then forking each simulation.
    const want: Record<number, number[]> = { 1: [146, 213, 28, 54, 40, 47], 2: [128, 195, 22, 50, 35, 42], 3: [130, 193, 27, 53, 39, 46] };
    for (const seed of [1, 2, 3]) {
      const options = { simulations: 16, rolloutDepth: 3, parallel: 4, maxMs: 1e9 };
      const forking = randomTableModel(6, seed);
      Object.defineProperty(forking, 'truncate', { value: undefined }); // a backend without truncate()
      const a = await run('mcts', forking, options);
      const held = randomTableModel(6, seed);
      const b = await run('mcts', held, options);
      assert.deepEqual(b.result.candidates.map((c) => c.text), a.result.candidates.map((c) => c.text));
      assert.deepEqual(JSON.parse(JSON.stringify(b.result.tree)), JSON.parse(JSON.stringify(a.result.tree)));
      assert.equal(forking.truncations, 0);
      assert.ok(held.truncations > 0);
      // Fewer calls too: the commit takes a simulation's branch through the token instead of decoding it.
      assert.deepEqual([decoded(held), decoded(forking), held.forks, forking.forks, held.calls.length, forking.calls.length], want[seed]);
      // Every read is of the state its branch should hold: the positions read are the same.
      assert.deepEqual(new Set(held.reads.map((r) => r.tokens.join(','))), new Set(forking.reads.map((r) => r.tokens.join(','))));
    }
  });

  it('MCTS at its defaults decodes a position into a branch about once: a branch that went below the committed token is copied, not cut back', async () => {
    // Per seed: positions read, then tokens decoded. Cutting back the held branch that went
    // through the committed token (and, for a new sibling, one that went down another path) made
    // the next simulation through the positions below decode them again: 86, 81 and 85 tokens.
    const want: Record<number, number[]> = { 1: [52, 63], 2: [50, 61], 3: [48, 61] };
    for (const seed of [1, 2, 3]) {
      const model = randomTableModel(6, seed);
      await run('mcts', model, { maxTokens: 16, maxMs: 1e9 });
      assert.deepEqual([model.reads.length, model.calls.flat().reduce((a, r) => a + r.tokens.length, 0)], want[seed]);
    }
  });

  it('MCTS holds a bounded number of branches where the backend refuses to truncate', async () => {
    // Token healing refuses to truncate a branch back into the text it re-types: then every
    // simulation forks, and held branches beyond parallel + 1 are released instead of piling up.
    const model = randomTableModel(6, 1);
    Object.defineProperty(model, 'truncate', { value: () => false });
    let most = 0;
    model.onEvaluate = () => (most = Math.max(most, model.liveBranches));
    await run('mcts', model, { simulations: 16, rolloutDepth: 3, parallel: 4, maxMs: 1e9 });
    assert.ok(most <= 2 + 4 + 5, `${most} branches live: the prompt's, the committed one, 4 simulations and 5 held at most`);
  });

  it('MCTS\'s in-flight simulations spread out: an unvisited leaf\'s virtual loss starts from its parent\'s value', async () => {
    // Every step uniform over 20 words: values are about -3 nats, so a virtual loss from an
    // unvisited leaf's 0 made it look better than its siblings, and the next selection of a batch
    // went back to it, which ends the batch (14 calls, batches of 1). From the parent's value: 11.
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const model = new TableModel({ vocab: ['<eos>', ...words], eos: '<eos>', rules: { '': Object.fromEntries(words.map((w) => [w, 1 / 20])) } });
    await run('mcts', model, { maxTokens: 3, simulations: 16, rolloutDepth: 3, parallel: 4, maxMs: 1e9 });
    assert.deepEqual(model.calls.map((c) => c.length), [2, 2, 4, 2, 4, 4, 2, 4, 4, 4, 1]);
  });

  it('MCTS stops simulating once no other token can catch up with the most visited', async () => {
    // The model is sure of each next word: "a" takes the first simulations, and once its lead
    // exceeds the simulations left, the rest would not change the commit.
    const model = new TableModel({ vocab: ['<eos>', 'a', 'b'], eos: '<eos>', rules: { '': { a: 0.97, b: 0.03 } } });
    const { result } = await run('mcts', model, { simulations: 16, parallel: 1, maxTokens: 3 });
    const tree = JSON.parse(JSON.stringify(result.tree));
    const first = tree.root.children.map((c: { text: string; visits: number }) => [c.text, c.visits]);
    assert.equal(result.candidates[0]!.text, ' a a a');
    // 16 simulations would give " a" 16 visits; it stops at 9 against 0 with 7 left.
    assert.deepEqual(first, [[' a', 9], [' b', 0]]);
  });

  it('MCTS ends when a read holds fewer than the top N it asked for (a constrained step)', async () => {
    // A backend that returns two tokens whatever is asked, as a healing-constrained step may:
    // the search must not read the same position again and again for the N it will never get.
    const model = randomTableModel(6, 1);
    const evaluate = model.evaluate.bind(model);
    model.evaluate = async (requests, signal) => (await evaluate(requests, signal)).map((s) => ({ ids: s.ids.slice(0, 2), logits: s.logits.slice(0, 2), logNormalizer: s.logNormalizer }));
    const { result } = await run('mcts', model, { simulations: 16, maxTokens: 4, maxMs: 1e9 });
    assert.equal(result.candidates[0]!.tokens.length, 4);
    assert.ok(model.reads.length < 100, `${model.reads.length} reads`);
  });

  it('MCTS tree carries visits and values', async () => {
    const { result } = await run('mcts', trapModel(), { simulations: 8 });
    const json = JSON.parse(JSON.stringify(result.tree));
    assert.ok(json.nodeCount > 3);
    const b = json.root.children.find((c: { text: string }) => c.text === ' b');
    assert.ok(b.visits > 0 && b.value < 0);
  });

  it('entropy-adaptive branches only at the high-varentropy step', async () => {
    const model = forkModel();
    const { result } = await run('entropy', model, { maxTokens: 6, lowEntropy: 0.5, lowVarentropy: 0.5, highEntropy: 2.5, highVarentropy: 1.5 });
    const steps = result.candidates[0].steps;
    const regimes = steps.map((s) => s.regime);
    assert.equal(regimes[0], 'confident');
    assert.equal(regimes[1], 'branch', `regimes: ${regimes.join(',')}`);
    assert.equal(steps[1].text, ' go');
    // The even split has high entropy for its size but zero varentropy: no branching there.
    assert.ok(steps[2].varentropy < 1e-9);
    assert.notEqual(regimes[2], 'branch');
    assert.equal(regimes.filter((r) => r === 'branch').length, 1);
    // Branching compared the top options in one batched call per lookahead depth.
    assert.ok(model.calls.some((call) => call.length === 3));
  });

  it('regime classification follows the thresholds', () => {
    const o = { ...entropy.defaults, lowEntropy: 0.5, lowVarentropy: 0.5, highEntropy: 2.5, highVarentropy: 1.5 };
    assert.equal(classify(0.1, 0.1, o), 'confident');
    assert.equal(classify(1.0, 3.0, o), 'branch');
    assert.equal(classify(3.0, 3.0, o), 'lost');
    assert.equal(classify(3.0, 0.2, o), 'explore');
    assert.equal(classify(1.0, 0.2, o), 'adaptive');
  });

  it('the same seed gives the same output; sampling strategies differ across seeds', async () => {
    for (const name of STRATEGY_NAMES) {
      const a = await run(name, forkModel(), { seed: 11 });
      const b = await run(name, forkModel(), { seed: 11 });
      assert.deepEqual(a.result.candidates.map((c) => c.text), b.result.candidates.map((c) => c.text), name);
    }
    const texts = new Set<string>();
    for (let seed = 0; seed < 8; seed++) texts.add((await run('top-p', forkModel(), { seed, samples: 1 })).result.candidates[0].text);
    assert.ok(texts.size > 1);
  });

  for (const name of ['greedy', 'top-p', 'min-p', 'entropy', 'beam', 'mcts'] as StrategyName[]) {
    it(`${name}: an abort stops it within one model call and releases its branches`, async () => {
      const model = forkModel();
      const controller = new AbortController();
      model.onEvaluate = (n) => n === 2 && controller.abort();
      const prompt = await model.start([], Infinity);
      await assert.rejects(decode(call(name, { maxTokens: 8 }), model, prompt, controller.signal), AbortError);
      assert.equal(model.calls.length, 2);
      assert.equal(model.liveBranches, 1, 'only the prompt branch is left');
    });
  }

  it('every strategy releases its branches, reports stats and a bounded tree', async () => {
    for (const name of STRATEGY_NAMES) {
      const model = trapModel();
      const { result } = await run(name, model, { maxTreeNodes: 6 });
      assert.equal(model.liveBranches, 1, name);
      assert.equal(result.stats.modelCalls, model.calls.length, name);
      assert.equal(result.stats.tokensEvaluated, model.calls.flat().reduce((a, r) => a + r.tokens.length, 0), name);
      assert.ok(result.tree.size <= 6, name);
      assert.ok(result.candidates.length >= 1, name);
      for (const c of result.candidates) assert.equal(c.text, model.detokenize(c.tokens));
    }
  });

  it('stop rules end a candidate', async () => {
    const { result } = await run('greedy', trapModel(), { isComplete: (t: string) => t.endsWith(' a') });
    assert.equal(result.candidates[0].text, ' a');
    assert.equal(result.candidates[0].finish, 'stop');
  });

  it('a spent time budget ends every strategy early with what it has', async () => {
    for (const name of STRATEGY_NAMES) {
      const { result } = await run(name, forkModel(), { timeBudgetMs: 0, maxTokens: 8 });
      assert.ok(result.candidates.length >= 1, name);
      assert.ok(result.candidates.every((c) => c.tokens.length <= 2), `${name}: ${result.candidates.map((c) => c.tokens.length)}`);
    }
  });

  it('a handed-over prompt branch is extended in place: same candidates, one fork fewer, still released by the caller', async () => {
    for (const name of STRATEGY_NAMES) {
      const forked = forkModel();
      const adopted = forkModel();
      const a = await run(name, forked, { seed: 3, samples: 3 });
      const promptB = await adopted.start([], Infinity);
      const b = await decode(call(name, { maxTokens: 8, seed: 3, samples: 3 }), adopted, promptB, undefined, true);
      assert.deepEqual(b.candidates.map((c) => [c.text, c.sumLogprob]), a.result.candidates.map((c) => [c.text, c.sumLogprob]), name);
      assert.equal(adopted.forks, forked.forks - 1, name);
      assert.equal(adopted.liveBranches, 1, `${name}: the strategy released its forks, not the handed-over branch`);
      adopted.release(promptB.branch);
    }
  });

  it('maxTokens bounds every candidate and every branch the model evaluates', async () => {
    for (const name of STRATEGY_NAMES) {
      const model = forkModel();
      const { result } = await run(name, model, { maxTokens: 2, simulations: 40 });
      for (const c of result.candidates) assert.ok(c.tokens.length <= 2, `${name}: ${c.tokens.length}`);
      assert.ok(model.longestBranch <= 2, `${name} evaluated a branch of ${model.longestBranch} tokens`);
    }
  });
});
