/**
 * What a slot's KV cache goes through: decodes appended to it, a prompt brought in by reusing the
 * prefix (and a stretch a KV shift can move next to it), copies from another slot, cuts. The caller
 * runs each inside the slot table's exclusive section for the slots it touches. Every method keeps
 * `slot.tokens` equal to what the sequence holds; after a failure, node-llama-cpp's record is trusted.
 */

import { throwIfAborted, type NextTokenScores, type StartOptions } from '../decoding/language-model';
import { commonPrefixLength } from '../decoding/common-prefix';
import type { BackendStats } from './backend-stats';
import { findHeadDrop } from './kv-shift';
import type { SequenceDriver } from './llama-internals';
import { scoresDepth } from './scores';
import type { Slot, SlotTable } from './slots';

/** Prompt tokens per llama_decode for background work. */
const BACKGROUND_PROMPT_CHUNK = 32;

export interface SlotKvOptions {
  readonly vocabSize: number;
  /** Prompt tokens per llama_decode in extendTo(); the abort signal is checked between chunks. */
  readonly promptChunk: number;
}

export class SlotKv {
  constructor(
    private readonly driver: SequenceDriver,
    private readonly table: SlotTable,
    /** The backend's counters, which these operations add to. */
    private readonly counts: BackendStats,
    private readonly options: SlotKvOptions,
  ) {}

  /** Erases the slot's cache after its first `length` tokens; `scores`: the next-token scores there, where known. */
  async cut(slot: Slot, length: number, scores: NextTokenScores | undefined): Promise<void> {
    if (slot.tokens.length > length) await slot.seq.eraseContextTokenRanges([{ start: length, end: slot.tokens.length }]);
    this.table.truncated(slot, length, scores);
  }

  /** Appends `tokens` in one decode and keeps the scores after the last (top `topN`) as the slot's. */
  async decodeInto(slot: Slot, tokens: number[], topN: number): Promise<NextTokenScores> {
    const scores = await this.append(slot, tokens, () => this.driver.decode(slot.seq, tokens, Math.max(1, topN)));
    slot.scores = scores;
    return scores!;
  }

  /** Runs a decode of `tokens` onto the slot and records them; after a failure, node-llama-cpp's record is trusted. */
  async append<T>(slot: Slot, tokens: readonly number[], decode: () => Promise<T>): Promise<T> {
    slot.scores = undefined;
    try {
      const out = await decode();
      slot.tokens.push(...tokens);
      this.counts.tokensEvaluated += tokens.length;
      return out;
    } catch (err) {
      this.resync(slot);
      throw err;
    }
  }

  /**
   * Brings the slot to `tokens` evaluating only what it does not already hold: its shared prefix,
   * and, unless `exact`, a later stretch that a KV shift can move next to it.
   */
  async extendTo(
    slot: Slot, tokens: readonly number[], topN: number, signal: AbortSignal | undefined, options: StartOptions,
  ): Promise<{ scores: NextTokenScores; evaluated: number; shifted: number }> {
    const exact = options.exact === true;
    // The slot becomes `tokens` and nothing else: what a copied-from generation owed is not the prompt's.
    slot.owed = [];
    // A keystroke cancels background work, and waits for its llama_decode call in flight: keep those short.
    const chunk = options.background ? Math.min(this.options.promptChunk, BACKGROUND_PROMPT_CHUNK) : this.options.promptChunk;
    let keep = this.table.reusable(slot, tokens, exact);
    if (keep === tokens.length && slot.tokens.length === keep && slot.scores !== undefined && this.depth(slot.scores) >= topN) {
      this.counts.promptTokensReused += keep;
      return { scores: slot.scores, evaluated: 0, shifted: 0 };
    }
    let shifted = 0;
    try {
      const drop = exact || !this.table.kvShift ? undefined : findHeadDrop(slot.tokens, tokens, keep);
      if (drop !== undefined) {
        await slot.seq.eraseContextTokenRanges([{ start: keep, end: drop.end }]);
        slot.tokens.splice(keep, drop.end - keep);
        slot.scores = undefined;
        slot.approximateFrom = Math.min(slot.approximateFrom ?? keep, keep);
        const kept = commonPrefixLength(slot.tokens, tokens);
        shifted = kept - keep;
        keep = kept;
        this.counts.shifts++;
        this.counts.promptTokensShifted += shifted;
      }
      if (keep === tokens.length) keep--;
      if (keep < slot.tokens.length) {
        await slot.seq.eraseContextTokenRanges([{ start: keep, end: slot.tokens.length }]);
        this.table.truncated(slot, keep);
      }
      this.counts.promptTokensReused += keep;
      let scores: NextTokenScores | undefined;
      for (let at = keep; at < tokens.length; at += chunk) {
        throwIfAborted(signal);
        const part = tokens.slice(at, at + chunk);
        const last = at + part.length === tokens.length;
        scores = await this.driver.decode(slot.seq, part, last ? Math.max(1, topN) : 0);
        slot.tokens.push(...part);
        this.counts.tokensEvaluated += part.length;
      }
      slot.scores = scores;
      return { scores: scores!, evaluated: tokens.length - keep, shifted };
    } catch (err) {
      this.resync(slot);
      throw err;
    }
  }

  /** Makes `target` hold what `source` holds (a native KV copy, else a replay); a failure marks the target. */
  async copyInto(target: Slot, source: Slot): Promise<void> {
    if (source.error !== undefined) throw source.error;
    try {
      const replayed = await this.driver.copy(target.seq, source.seq);
      this.counts.forkReplayedTokens += replayed;
      this.counts.tokensEvaluated += replayed;
      target.tokens = source.tokens.slice();
      target.owed = source.owed.slice();
      target.scores = source.scores;
      target.approximateFrom = source.approximateFrom;
    } catch (err) {
      // Set before anything queued behind this copy can run: the target's state is unknown.
      target.error = err;
      this.resync(target);
      throw err;
    }
  }

  /** After a failure, trust node-llama-cpp's record of what the sequence holds. */
  resync(slot: Slot): void {
    try {
      slot.tokens = slot.seq.contextTokens.map(Number);
    } catch {
      slot.tokens = [];
    }
    this.table.truncated(slot, slot.tokens.length);
  }

  depth(scores: NextTokenScores): number {
    const d = scoresDepth(scores);
    return d >= this.options.vocabSize ? Infinity : d;
  }
}
