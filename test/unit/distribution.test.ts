import * as assert from 'node:assert/strict';
import { CandidateTree } from '../../src/decoding/candidate-tree';
import { Distribution, entropyOf, InvalidLogitsError, logSoftmax, toBits, topIndices } from '../../src/decoding/distribution';

const close = (a: number, b: number, eps = 1e-9) => assert.ok(Math.abs(a - b) < eps, `${a} ≉ ${b}`);

describe('distributions', () => {
  it('log-softmax in float64 is stable for huge logits and keeps -Infinity', () => {
    const l = logSoftmax([1000, 1000, -Infinity]);
    close(l[0], Math.log(0.5));
    assert.equal(l[2], -Infinity);
  });
  it('entropy and varentropy in nats, with literal values', () => {
    // p = (.5, .25, .25): H = 1.5 ln 2; surprisals ln 2, 2 ln 2, 2 ln 2 → V = (ln 2)² / 4.
    const { entropy, varentropy } = entropyOf([Math.log(0.5), Math.log(0.25), Math.log(0.25)]);
    close(entropy, 1.5 * Math.LN2);
    close(varentropy, (Math.LN2 * Math.LN2) / 4);
    close(toBits(entropy), 1.5);
    const point = entropyOf([0, -Infinity]);
    assert.equal(point.entropy, 0);
    assert.equal(point.varentropy, 0);
  });
  it('rejects NaN and +Infinity, and all -Infinity', () => {
    assert.throws(() => Distribution.fromLogits([0, NaN]), InvalidLogitsError);
    assert.throws(() => Distribution.fromLogits([0, Infinity]), /infinite/);
    assert.throws(() => Distribution.fromLogits([-Infinity, -Infinity]), /no token is possible/);
    assert.throws(() => Distribution.fromTop(Int32Array.from([1]), [0.5], NaN), InvalidLogitsError);
  });
  it('a top-N slice with the log-normaliser gives exact log-probabilities and the tail mass', () => {
    const logits = [2, 1, 0, -1];
    const lse = Math.log(logits.reduce((a, x) => a + Math.exp(x), 0));
    const full = Distribution.fromLogits(logits);
    const top = Distribution.fromTop(Int32Array.from([0, 1]), [2, 1], lse);
    close(top.logprobs[0], full.logprobs[0]);
    close(top.logprobOf(1), full.logprobOf(1));
    assert.equal(top.logprobOf(3), -Infinity);
    close(top.tailMass, Math.exp(full.logprobOf(2)) + Math.exp(full.logprobOf(3)));
    assert.ok(top.entropy < full.entropy, 'slice entropy is a lower bound');
  });
  it('top indices come out in descending order with ties by lower index', () => {
    assert.deepEqual(Array.from(topIndices([1, 3, 3, 2], 3)), [1, 2, 3]);
    assert.deepEqual(Array.from(topIndices([1, 3, 3, 2], 4)), [1, 2, 3, 0]);
  });
});

describe('candidate tree', () => {
  const step = (token: number, text: string) => ({ token, text, logprob: -0.5, entropy: 1, varentropy: 0.5 });
  it('merges shared prefixes, counts visits and serialises to JSON', () => {
    const tree = new CandidateTree(10);
    tree.addPath([step(1, 'a'), step(2, 'b')]);
    tree.addPath([step(1, 'a'), step(3, 'c')]);
    tree.markCandidate([1, 3], 0);
    const json = JSON.parse(JSON.stringify(tree));
    assert.equal(json.nodeCount, 4);
    assert.equal(json.root.children.length, 1);
    assert.equal(json.root.children[0].visits, 2);
    assert.equal(json.root.children[0].children[1].candidateRank, 0);
  });
  it('copies at most n nodes breadth first, counting the rest as dropped, and never shares nodes', () => {
    const tree = new CandidateTree(10);
    tree.addPath([step(1, 'a'), step(2, 'b'), step(3, 'c')]);
    tree.addPath([step(4, 'd'), step(5, 'e')]);
    const copy = tree.copy(4);
    assert.equal(copy.nodeCount, 4);
    assert.equal(copy.dropped, 2);
    assert.deepEqual(copy.root.children.map((c) => c.text), ['a', 'd']);
    assert.deepEqual(copy.root.children.map((c) => c.children.map((g) => g.text)), [['b'], []]);
    const whole = tree.copy(100);
    assert.equal(whole.nodeCount, 6);
    whole.root.children[0]!.visits = 99;
    assert.equal(tree.root.children[0]!.visits, 1, 'a copy, not the live nodes');
  });
  it('stays within its node bound and counts what it dropped', () => {
    const tree = new CandidateTree(3);
    tree.addPath([step(1, 'a'), step(2, 'b'), step(3, 'c'), step(4, 'd')]);
    assert.equal(tree.size, 3);
    assert.equal(tree.dropped, 1);
  });
});
