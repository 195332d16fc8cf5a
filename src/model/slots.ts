/**
 * Branch slots: one llama.cpp sequence each, created up front so that fork() and release() can
 * stay synchronous (node-llama-cpp hands a disposed sequence's id back only asynchronously).
 * A released slot keeps its KV cache: it is the prefix cache for the next request.
 */

import type { LlamaContextSequence } from 'node-llama-cpp';
import type { Branch, NextTokenScores } from '../decoding/language-model';
import { BranchLimitError } from './errors';

export interface Slot {
  readonly index: number;
  readonly seq: LlamaContextSequence;
  /** The tokens the slot's KV cache holds, oldest first. */
  tokens: number[];
  /** Next-token scores after `tokens`, while known. */
  scores: NextTokenScores | undefined;
  /** Settles when the slot's last scheduled operation has; never rejects. */
  queue: Promise<void>;
  /** Operations scheduled on the slot and not yet finished. */
  pending: number;
  owner: Branch | undefined;
  /** Set when an operation left the slot in an unknown state (e.g. a failed fork copy). */
  error: unknown;
  /** Bumped on release; the least recently released free slot is reused first. */
  releasedAt: number;
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class SlotTable {
  readonly slots: Slot[];
  /** The slot that evaluated the latest prompt; kept free of forks while another slot is free. */
  promptSlot: Slot | undefined;
  private clock = 0;

  constructor(sequences: readonly LlamaContextSequence[]) {
    this.slots = sequences.map((seq, index) => ({
      index, seq, tokens: [], scores: undefined, queue: Promise.resolve(), pending: 0, owner: undefined, error: undefined, releasedAt: 0,
    }));
  }

  get freeCount(): number {
    return this.slots.filter((s) => s.owner === undefined).length;
  }

  /** A free slot for a fork: the least recently released, sparing the prompt cache. */
  claimForFork(owner: Branch): Slot {
    const free = this.slots.filter((s) => s.owner === undefined);
    const others = free.filter((s) => s !== this.promptSlot);
    const pool = others.length > 0 ? others : free;
    if (pool.length === 0) {
      throw new BranchLimitError(`All ${this.slots.length} branches are in use; release branches or load the model with a larger maxBranches.`);
    }
    const slot = pool.reduce((a, b) => (b.releasedAt < a.releasedAt ? b : a));
    if (slot === this.promptSlot) this.promptSlot = undefined;
    return this.claim(slot, owner);
  }

  /**
   * Where a new prompt should go: the free slot sharing the longest prefix with it, or, when an
   * owned slot shares more, a free slot to copy that one into.
   */
  claimForPrompt(tokens: readonly number[], owner: Branch): { slot: Slot; copyFrom: Slot | undefined } {
    let bestFree: Slot | undefined;
    let bestFreeLen = -1;
    let bestOwned: Slot | undefined;
    let bestOwnedLen = 0;
    for (const s of this.slots) {
      const len = s.error === undefined ? commonPrefixLength(s.tokens, tokens) : 0;
      if (s.owner === undefined) {
        if (len > bestFreeLen || (len === bestFreeLen && bestFree !== undefined && s.releasedAt < bestFree.releasedAt)) {
          bestFree = s;
          bestFreeLen = len;
        }
      } else if (len > bestOwnedLen) {
        bestOwned = s;
        bestOwnedLen = len;
      }
    }
    if (bestFree === undefined) {
      throw new BranchLimitError(`All ${this.slots.length} branches are in use; release the previous request's branches before starting another.`);
    }
    const copyFrom = bestOwned !== undefined && bestOwnedLen > bestFreeLen ? bestOwned : undefined;
    const slot = copyFrom === undefined ? bestFree : this.claimForFork(owner);
    if (copyFrom === undefined) this.claim(slot, owner);
    this.promptSlot = slot;
    return { slot, copyFrom };
  }

  release(slot: Slot): void {
    slot.owner = undefined;
    slot.releasedAt = ++this.clock;
  }

  /**
   * Runs `work` once every operation already scheduled on `slots` has finished, and makes later
   * operations on them wait for it. This orders forks, evaluations and copies per slot.
   */
  exclusive<T>(slots: readonly Slot[], work: () => Promise<T>): Promise<T> {
    // Idle slots (the usual case: one strategy stepping its branches) start at once.
    const prior = slots.some((s) => s.pending > 0) ? slots.map((s) => s.queue) : undefined;
    let done!: () => void;
    const gate = new Promise<void>((resolve) => (done = resolve));
    for (const s of slots) {
      s.queue = gate;
      s.pending++;
    }
    return (async () => {
      try {
        if (prior !== undefined) await Promise.all(prior);
        return await work();
      } finally {
        for (const s of slots) s.pending--;
        done();
      }
    })();
  }

  private claim(slot: Slot, owner: Branch): Slot {
    slot.owner = owner;
    slot.error = undefined;
    return slot;
  }
}
