import * as assert from 'node:assert/strict';
import { ContextOverflowError, NonFiniteLogitsError } from '../../src/model/errors';
import { budgetPrompt } from '../../src/model/prompt-budget';
import { scoresFromFull, scoresFromTop, sliceScores } from '../../src/model/scores';
import { chooseThreads } from '../../src/model/threads';
import { SlotTable, type Slot } from '../../src/model/slots';
import type { LlamaContextSequence } from 'node-llama-cpp';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('prompt budget', () => {
  it('keeps everything that fits', () => {
    const b = budgetPrompt(range(10), range(5, 100), { contextSize: 100, reserveForGeneration: 10, fixedTokens: 3 });
    assert.deepEqual([b.prefix.length, b.suffix.length, b.droppedPrefixTokens, b.droppedSuffixTokens], [10, 5, 0, 0]);
  });
  it('drops the oldest prefix tokens first and caps the suffix at its share', () => {
    const b = budgetPrompt(range(100), range(100, 1000), { contextSize: 61, reserveForGeneration: 16, fixedTokens: 4 });
    // room = 61 - 1 - 16 - 4 = 40: suffix 10, prefix 30 (its last 30 tokens).
    assert.deepEqual(b.prefix, range(30, 70));
    assert.deepEqual(b.suffix, range(10, 1000));
  });
  it('gives room the prefix does not need to the suffix', () => {
    const b = budgetPrompt(range(5), range(100, 1000), { contextSize: 61, reserveForGeneration: 16, fixedTokens: 4 });
    assert.equal(b.prefix.length, 5);
    assert.equal(b.suffix.length, 35);
  });
  it('refuses when nothing fits', () => {
    assert.throws(() => budgetPrompt(range(5), [], { contextSize: 16, reserveForGeneration: 16, fixedTokens: 0 }), ContextOverflowError);
  });
});

describe('thread choice', () => {
  it('one thread for tiny models on CPU, cores - 1 otherwise, a configured number as is', () => {
    assert.equal(chooseThreads({ requested: 'auto', backend: 'cpu', mathCores: 8, modelBytes: 9e6 }).threads, 1);
    assert.equal(chooseThreads({ requested: 'auto', backend: 'cpu', mathCores: 8, modelBytes: 4e9 }).threads, 7);
    assert.equal(chooseThreads({ requested: 'auto', backend: 'cpu', mathCores: 1, modelBytes: 4e9 }).threads, 1);
    assert.equal(chooseThreads({ requested: 'auto', backend: 'cuda', mathCores: 16, modelBytes: 4e9 }).threads, 4);
    assert.equal(chooseThreads({ requested: 3, backend: 'cpu', mathCores: 2, modelBytes: 9e6 }).threads, 3);
    assert.throws(() => chooseThreads({ requested: 0, backend: 'cpu', mathCores: 2, modelBytes: 9e6 }), RangeError);
  });
});

describe('scores from llama.cpp output', () => {
  it('top slice with the vocabulary-wide normaliser', () => {
    const logits = [2, 1, 0.5, -3];
    const sum = logits.reduce((s, l) => s + Math.exp(l - 2), 0);
    const s = scoresFromTop([7, 2, 3, 1], 2, sum);
    assert.deepEqual([...s.ids], [7, 3]);
    assert.ok(Math.abs(s.logNormalizer - Math.log(logits.reduce((a, l) => a + Math.exp(l), 0))) < 1e-12);
  });
  it('full vocabulary: indexed logits and a float64 normaliser', () => {
    const s = scoresFromFull([2, 3, 0, 1, 1, -1], 3);
    assert.deepEqual([...s.full!], [1, -1, 3]);
    assert.ok(Math.abs(s.logNormalizer - Math.log(Math.exp(1) + Math.exp(-1) + Math.exp(3))) < 1e-12);
    assert.deepEqual([...sliceScores(s, 1).ids], [2]);
  });
  it('rejects NaN and +Infinity', () => {
    assert.throws(() => scoresFromTop([1, NaN], NaN, NaN), NonFiniteLogitsError);
    assert.throws(() => scoresFromTop([1, 2], 2, NaN), NonFiniteLogitsError);
    assert.throws(() => scoresFromTop([1, Infinity], Infinity, NaN), NonFiniteLogitsError);
    assert.throws(() => scoresFromFull([0, 1, 1, NaN], 2), NonFiniteLogitsError);
  });
});

describe('slot table: exclusive()', () => {
  it('runs work on idle slots at once and queues work behind whatever a slot already has', async () => {
    const table = new SlotTable([{}, {}] as unknown as LlamaContextSequence[]);
    const [s0, s1] = table.slots as [Slot, Slot];
    const log: string[] = [];
    let finishA!: () => void;
    const a = table.exclusive([s0], async () => {
      log.push('A starts');
      await new Promise<void>((resolve) => (finishA = resolve));
      log.push('A ends');
    });
    const b = table.exclusive([s0], async () => void log.push('B'));
    const c = table.exclusive([s1], async () => void log.push('C'));
    const d = table.exclusive([s0, s1], async () => void log.push('D'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['A starts', 'C']);
    finishA();
    await Promise.all([a, b, c, d]);
    assert.deepEqual(log, ['A starts', 'C', 'A ends', 'B', 'D']);
    assert.deepEqual([s0.pending, s1.pending], [0, 0]);
    await assert.rejects(table.exclusive([s1], async () => { throw new Error('boom'); }), /boom/);
    assert.equal(s1.pending, 0, 'a failed operation frees its slot');
    assert.equal(await table.exclusive([s1], async () => 'after'), 'after');
  });
});
