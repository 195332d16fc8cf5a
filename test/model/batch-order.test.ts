/**
 * llama.cpp, with one KV stream per sequence (node-llama-cpp 3.22.1's contexts), decodes a batch as
 * one computation only over consecutive sequences in increasing order: anything else splits it, a
 * decode per branch. So a step's branches go out in the order of their sequences, and forks take
 * slots next to the live ones.
 */
import * as assert from 'node:assert/strict';
import type { LlamaContextSequence } from 'node-llama-cpp';
import type { Branch } from '../../src/decoding/language-model';
import type { LoadedModel } from '../../src/model/load';
import { loadTestModel } from './backend-fixtures';

describe('a step\'s batch in the order llama.cpp decodes at once', function () {
  this.timeout(120_000);
  let m: LoadedModel;
  before(async () => (m = await loadTestModel({ maxBranches: 16 })));
  after(async () => m?.dispose());

  it('sends a step\'s decodes in increasing sequence order, whatever the request order', async () => {
    const lm = m.languageModel;
    const driver = (lm as unknown as { driver: { decode: (seq: LlamaContextSequence, ...rest: unknown[]) => Promise<unknown> } }).driver;
    const slots = (lm as unknown as { table: { slots: { index: number; seq: LlamaContextSequence }[] } }).table.slots;
    const sent: number[] = [];
    const decode = driver.decode;
    driver.decode = (seq, ...rest) => {
      sent.push(slots.find((s) => s.seq === seq)!.index);
      return decode(seq, ...rest);
    };
    const state = await lm.start([1, 2, 3, 4, 5], 4);
    const branches = [state.branch, lm.fork(state.branch), lm.fork(state.branch), lm.fork(state.branch)];
    try {
      await lm.evaluate(branches.map((branch) => ({ branch, tokens: [7], topN: 4 })));
      sent.length = 0;
      await lm.evaluate([...branches].reverse().map((branch, i) => ({ branch, tokens: [8 + i], topN: 4 })));
      assert.equal(sent.length, 4);
      assert.deepEqual(sent, [...sent].sort((a, b) => a - b), `sent in the order ${sent.join(', ')}`);
    } finally {
      driver.decode = decode;
      branches.forEach((b) => lm.release(b));
    }
  });

  it('keeps live branches on neighbouring slots through forks and releases, as beam search makes them', async () => {
    const lm = m.languageModel;
    const slotOf = (b: Branch) => (lm as unknown as { slotOfBranch: Map<Branch, { index: number }> }).slotOfBranch.get(b)!.index;
    const state = await lm.start([1, 2, 3, 4, 5, 6], 4);
    let beams = [state.branch, lm.fork(state.branch), lm.fork(state.branch), lm.fork(state.branch)];
    try {
      for (let step = 0; step < 12; step++) {
        await lm.evaluate(beams.map((branch, i) => ({ branch, tokens: [10 + i], topN: 4 })));
        const parent = beams[step % beams.length]!;
        for (const b of beams) if (b !== parent) lm.release(b);
        beams = [parent, lm.fork(parent), lm.fork(parent), lm.fork(parent)];
        const slots = beams.map(slotOf).sort((a, b) => a - b);
        assert.equal(slots[3]! - slots[0]!, 3, `step ${step}: branches on slots ${slots.join(', ')}`);
      }
    } finally {
      beams.forEach((b) => lm.release(b));
    }
  });
});
