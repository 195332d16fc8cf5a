/**
 * Branch slots: one llama.cpp sequence each, created up front so that fork() and release() can
 * stay synchronous (node-llama-cpp hands a disposed sequence's id back only asynchronously).
 * A released slot keeps its KV cache: it is the prefix cache for the next request.
 */

import type { LlamaContextSequence } from 'node-llama-cpp';
import { commonPrefixLength } from '../decoding/common-prefix';
import type { Branch, NextTokenScores, StartOptions } from '../decoding/language-model';
import { BranchLimitError } from './errors';
import { findHeadDrop } from './kv-shift';

export interface Slot {
  readonly index: number;
  readonly seq: LlamaContextSequence;
  /** The tokens the slot's KV cache holds, oldest first. */
  tokens: number[];
  /**
   * Tokens the branch holds that its KV cache does not yet: a generation's last pick, which the
   * next evaluation appends before its own tokens. Empty almost always.
   */
  owed: number[];
  /** Next-token scores after `tokens`, while known. */
  scores: NextTokenScores | undefined;
  /**
   * Index from which the KV state is not what evaluating `tokens` from scratch gives: a stale
   * stretch before it was erased and the rest shifted back (kv-shift.ts). Undefined: exact.
   */
  approximateFrom: number | undefined;
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

/** Tokens at a prompt's end that typing on may tokenize differently (BPE merges across them). */
const RETOKENIZED_TAIL = 2;

/** 1 for a slot whose cache is exact, 0 for one holding a shifted stretch. */
const exactness = (s: Slot) => (s.approximateFrom === undefined ? 1 : 0);

export class SlotTable {
  readonly slots: Slot[];
  /** The slot that evaluated the latest prompt; kept free of forks while another slot is free. */
  promptSlot: Slot | undefined;
  /**
   * The slot of the latest foreground prompt, and that prompt's length. A background prompt
   * extends it in place only when it keeps that prompt (a prefetch at the end of the suggestion
   * shown); otherwise it copies from it, so the next keystroke still finds its prompt cached.
   */
  foregroundSlot: Slot | undefined;
  private foregroundLength = 0;
  private clock = 0;

  get freeCount(): number {
    return this.slots.filter((s) => s.owner === undefined).length;
  }

  /** A free slot for a fork: the least recently released, sparing the prompt caches. */
  claimForFork(owner: Branch, spare?: Slot): Slot {
    const free = this.slots.filter((s) => s.owner === undefined && s !== spare);
    const others = free.filter((s) => s !== this.promptSlot && s !== this.foregroundSlot);
    const pool = others.length > 0 ? others : free;
    if (pool.length === 0) {
      throw new BranchLimitError(`All ${this.slots.length} branches are in use; release branches or load the model with a larger maxBranches.`);
    }
    // Live branches close together: llama.cpp (one KV stream per sequence, as node-llama-cpp makes
    // its contexts) attends over every stream from the lowest to the highest sequence in a batch,
    // so branches spread over 16 slots cost several times a step over 4 neighbouring ones. Among
    // slots as close, the one released longest ago, whose cache is least likely to be asked for.
    const live = this.slots.filter((s) => s.owner !== undefined).map((s) => s.index);
    const lo = Math.min(...live, spare?.index ?? Infinity);
    const hi = Math.max(...live, spare?.index ?? -Infinity);
    const spread = (s: Slot) => (live.length === 0 && spare === undefined ? 0 : Math.max(hi, s.index) - Math.min(lo, s.index));
    const slot = pool.reduce((a, b) => (spread(b) < spread(a) || (spread(b) === spread(a) && b.releasedAt < a.releasedAt) ? b : a));
    if (slot === this.promptSlot) this.promptSlot = undefined;
    if (slot === this.foregroundSlot) this.foregroundSlot = undefined;
    return this.claim(slot, owner);
  }

  constructor(
    sequences: readonly LlamaContextSequence[],
    /** Whether a prompt may reuse cache past a stale stretch (kv-shift.ts). */
    readonly kvShift = false,
  ) {
    this.slots = sequences.map((seq, index) => ({
      index, seq, tokens: [], owed: [], scores: undefined, approximateFrom: undefined, queue: Promise.resolve(), pending: 0, owner: undefined, error: undefined, releasedAt: 0,
    }));
  }

  /** How many of `tokens` the slot holds as a prefix; with `exact`, only what is not shifted. */
  reusable(slot: Slot, tokens: readonly number[], exact = false): number {
    if (slot.error !== undefined) return 0;
    const shared = commonPrefixLength(slot.tokens, tokens);
    return exact && slot.approximateFrom !== undefined ? Math.min(shared, slot.approximateFrom) : shared;
  }

  /** What a prompt can take from the slot: its shared prefix, and unless `exact` what a KV shift would keep after it. */
  private reach(slot: Slot, tokens: readonly number[], exact: boolean): number {
    const shared = this.reusable(slot, tokens, exact);
    if (exact || !this.kvShift || slot.error !== undefined) return shared;
    return shared + (findHeadDrop(slot.tokens, tokens, shared)?.run ?? 0);
  }

  /**
   * Where a new prompt should go: the free slot it can take the most from (an exact one on a
   * tie), or, when a slot it may not extend (owned, or the foreground prompt's for a background
   * prompt) has more, a free slot to copy that one into.
   */
  claimForPrompt(tokens: readonly number[], owner: Branch, options: StartOptions = {}): { slot: Slot; copyFrom: Slot | undefined } {
    let bestFree: Slot | undefined;
    let bestFreeLen = -1;
    let bestOther: Slot | undefined;
    let bestOtherLen = 0;
    const better = (s: Slot, len: number, than: Slot | undefined, thanLen: number) => len > thanLen
      || (len === thanLen && than !== undefined && (exactness(s) > exactness(than) || (exactness(s) === exactness(than) && s.releasedAt < than.releasedAt)));
    for (const s of this.slots) {
      const len = this.reach(s, tokens, options.exact === true);
      if (s.owner === undefined && !(options.background && s === this.foregroundSlot && !this.keepsForeground(tokens))) {
        if (better(s, len, bestFree, bestFreeLen)) {
          bestFree = s;
          bestFreeLen = len;
        }
      } else if (better(s, len, bestOther, bestOtherLen)) {
        bestOther = s;
        bestOtherLen = len;
      }
    }
    if (bestFree === undefined) {
      throw new BranchLimitError(`All ${this.slots.length} branches are in use; release the previous request's branches before starting another.`);
    }
    const copyFrom = bestOther !== undefined && bestOtherLen > bestFreeLen ? bestOther : undefined;
    const slot = copyFrom === undefined ? bestFree : this.claimForFork(owner, copyFrom);
    if (copyFrom === undefined) this.claim(slot, owner);
    this.promptSlot = slot;
    if (!options.background) {
      this.foregroundSlot = slot;
      this.foregroundLength = tokens.length;
    }
    return { slot, copyFrom };
  }

  /** Whether `tokens` start with the foreground prompt, but for the last tokens a keystroke may re-tokenize. */
  private keepsForeground(tokens: readonly number[]): boolean {
    const fg = this.foregroundSlot;
    return fg !== undefined && commonPrefixLength(fg.tokens, tokens) >= this.foregroundLength - RETOKENIZED_TAIL;
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

  /** The slot now holds only its first `length` tokens (with `scores` after them, if known). */
  truncated(slot: Slot, length: number, scores: NextTokenScores | undefined = undefined): void {
    slot.owed = slot.owed.slice(0, Math.max(0, length - slot.tokens.length));
    slot.tokens.length = Math.min(slot.tokens.length, length);
    slot.scores = scores;
    if (slot.approximateFrom !== undefined && slot.approximateFrom >= slot.tokens.length) slot.approximateFrom = undefined;
  }

  private claim(slot: Slot, owner: Branch): Slot {
    slot.owner = owner;
    slot.error = undefined;
    slot.owed = [];
    return slot;
  }
}
