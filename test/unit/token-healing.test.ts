import * as assert from 'node:assert/strict';
import { decode, STRATEGY_NAMES, type StrategyCall } from '../../src/decoding/strategies';
import type { StrategyName } from '../../src/decoding/strategy';
import { constrainScores, constrainSlice, HealingModel, remainingAfter, VocabularyIndex } from '../../src/decoding/token-healing';
import { TableModel } from '../support/table-model';

/**
 * Words are tokens with a leading space (TableModel's texts). The prompt "x return" with healing
 * takes " return" off: the model then sees "x" and must re-type " return".
 */
function model(): TableModel {
  return new TableModel({
    vocab: ['x', 're', 'ret', 'return', 'returns', 'this', 'value', ';', '<eos>'],
    eos: '<eos>',
    rules: {
      x: { this: 0.6, return: 0.2, returns: 0.1, re: 0.1 },
      return: { value: 0.7, this: 0.3 },
      returns: { ';': 1 },
      re: { value: 1 },
      'return value': { ';': 1 },
      'return this': { ';': 1 },
      ';': { '<eos>': 1 },
      value: { ';': 1 },
    },
  });
}

const call = (name: StrategyName, options: Record<string, unknown>) => ({ name, options }) as StrategyCall;

describe('token healing', () => {
  it('the first step allows only tokens that re-type the removed text, renormalised over them (literal numbers)', async () => {
    const m = model();
    const healing = new HealingModel(m, ' return');
    const state = await healing.start(m.ids('x'), 64);
    const ids = [...state.next.ids].map((id) => m.tokenText(id));
    // " this" (p 0.6) is not allowed, nor " re": no token types the "turn" it would leave.
    // " return" and " returns" type all of it, 0.2 : 0.1.
    assert.deepEqual(ids, [' return', ' returns']);
    const logprobs = [...state.next.logits].map((l) => l - state.next.logNormalizer);
    assert.ok(Math.abs(logprobs[0] - Math.log(2 / 3)) < 1e-6, `${logprobs[0]}`);
    assert.ok(Math.abs(logprobs[1] - Math.log(1 / 3)) < 1e-6, `${logprobs[1]}`);
    healing.release(state.branch);
    assert.equal(m.liveBranches, 0);
  });

  it('truncates a branch only back to where it types freely: before that, what is left to re-type would be lost', async () => {
    const m = model();
    const healing = new HealingModel(m, ' return');
    const state = await healing.start(m.ids('x'), 64);
    const child = healing.fork(state.branch);
    assert.equal(healing.truncate(child, 1), false, 'still re-typing " return"');
    await healing.evaluate([{ branch: child, tokens: m.ids('return'), topN: 8 }]);
    await healing.evaluate([{ branch: child, tokens: m.ids('value'), topN: 8 }]);
    assert.equal(healing.truncate(child, 1), false, 'back into the re-typed text');
    assert.equal(healing.truncate(child, 2), true, 'right after " return": free from there');
    const [again] = await healing.evaluate([{ branch: child, tokens: m.ids('this'), topN: 8 }]);
    assert.equal(m.tokenText(again!.ids[0]!), ' ;', 'the branch is "x return this" now, unconstrained');
    assert.equal(again!.logits[0]! - again!.logNormalizer, 0);
    for (const b of [state.branch, child]) healing.release(b);
  });

  it('a branch that re-types the removed text and goes on in one evaluation types freely from the token that re-typed it', async () => {
    // An anytime search's branch evaluates the tokens it took from the first pass's record in one go.
    const m = model();
    const healing = new HealingModel(m, ' return');
    const state = await healing.start(m.ids('x'), 64);
    const child = healing.fork(state.branch);
    await healing.evaluate([{ branch: child, tokens: m.ids('return value ;'), topN: 8 }]);
    assert.equal(healing.truncate(child, 1), false, 'back into the re-typed text');
    assert.equal(healing.truncate(child, 2), true, 'right after " return" (was refused: free only from the end, 4)');
    for (const b of [state.branch, child]) healing.release(b);
  });

  it('a removed text that is a first part of a token, or longer than one, is re-typed piece by piece', () => {
    const m = new TableModel({ vocab: ['re', 'ret', 'return', 't', 'x'], rules: {} });
    const index = new VocabularyIndex({ vocabSize: m.vocabSize, isEndOfGeneration: () => false, detokenize: (ids) => ids.map((id) => (id === 3 ? 't' : m.tokenText(id))).join('') });
    const texts = (ids: number[]) => ids.map((id) => (id === 3 ? 't' : m.tokenText(id))).sort();
    assert.deepEqual(texts(index.allowed(' re')), [' re', ' ret', ' return']);
    // Tokens that type all of " ret" and more, and " re", a first part of it: "t" (a token) is left to type.
    assert.deepEqual(texts(index.allowed(' ret')), [' re', ' ret', ' return']);
    assert.deepEqual(texts(index.allowed(' retu')), [' return'], '" re" would leave "tu", which no token types');
    // allows() answers for one token what allowed() lists: the editor's first step checks its top slice so.
    for (const remaining of [' re', ' ret', ' retu', ' r', 't', ' return', ' x']) {
      const listed = index.allowed(remaining).sort((a, b) => a - b);
      assert.deepEqual([...Array(m.vocabSize).keys()].filter((id) => index.allows(remaining, id)), listed, remaining);
    }
    assert.equal(remainingAfter(' ret', ' re'), 't');
    assert.equal(remainingAfter(' ret', ' return'), undefined, 'typed past it: healed');
    assert.equal(remainingAfter(' ret', ' ret'), undefined);
  });

  it('renormalises over the allowed set from a top-N slice when the full vocabulary is not there', () => {
    const scores = { ids: Int32Array.from([5, 2, 7]), logits: Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]), logNormalizer: 0 };
    const c = constrainScores(scores, [2, 7, 9])!;
    assert.deepEqual([...c.ids], [2, 7]);
    assert.ok(Math.abs(c.logits[0] - c.logNormalizer - Math.log(0.6)) < 1e-6);
    assert.equal(constrainScores(scores, [9]), undefined, 'nothing allowed is scored');
    const walked = constrainSlice(scores, (id) => [2, 7, 9].includes(id))!;
    assert.deepEqual([...walked.ids], [...c.ids]);
    assert.deepEqual([...walked.logits], [...c.logits]);
    assert.equal(walked.logNormalizer, c.logNormalizer);
    assert.equal(constrainSlice(scores, (id) => id === 9), undefined);
  });

  it('candidates leave the re-typed text out, so nothing the user typed is inserted twice', async () => {
    const m = model();
    const healing = new HealingModel(m, ' return');
    const state = await healing.start(m.ids('x'), 64);
    const result = await decode(call('greedy', { maxTokens: 4 }), healing, state, undefined, true);
    const best = result.candidates[0];
    assert.equal(m.detokenize(best.tokens), ' return value ;');
    assert.equal(best.text, ' value ;');
    // The typed " return" and the candidate make exactly what the model wrote.
    assert.equal(' return' + best.text, m.detokenize(best.tokens));
    healing.release(state.branch); // the caller's, as completeAt releases it
    assert.equal(m.liveBranches, 0);
  });

  it('works with every strategy: every candidate starts by re-typing the removed text', async () => {
    for (const name of STRATEGY_NAMES) {
      const m = model();
      const healing = new HealingModel(m, ' return');
      const state = await healing.start(m.ids('x'), 64);
      const result = await decode(call(name, { maxTokens: 4, seed: 2 }), healing, state, undefined, true);
      assert.ok(result.candidates.length > 0, name);
      for (const c of result.candidates) {
        assert.ok(m.detokenize(c.tokens).startsWith(' return'), `${name}: ${m.detokenize(c.tokens)}`);
        assert.equal(' return' + c.text, m.detokenize(c.tokens), name);
      }
      healing.release(state.branch);
      assert.equal(m.liveBranches, 0, `${name} released every branch`);
    }
  });

  it('a text no token can re-type leaves generation unconstrained and says so', async () => {
    const m = model();
    const healing = new HealingModel(m, ' zzz');
    const state = await healing.start(m.ids('x'), 64);
    assert.equal(healing.healed, undefined);
    assert.equal(m.tokenText(state.next.ids[0]), ' this');
    assert.equal(healing.detokenize(m.ids('this')), ' this');
    healing.release(state.branch);
  });
});
