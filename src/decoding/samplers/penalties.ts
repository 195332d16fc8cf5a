import type { CandidateSet } from './candidate-set';
import type { Sampler, SamplerContext } from './chain';

/**
 * Repetition penalties over the last `lastN` tokens of the history (-1: all of it), as
 * llama.cpp: for each seen token, a logit ≤ 0 is multiplied by `repeat` and a positive
 * one divided by it; then count·frequency + presence is subtracted.
 * Disabled when lastN is 0 or all three penalties are neutral.
 */
export class PenaltiesSampler implements Sampler {
  private readonly counts = new Map<number, number>();

  constructor(
    readonly lastN: number,
    readonly repeat: number,
    readonly frequency: number,
    readonly presence: number,
  ) {}

  apply(set: CandidateSet, context: SamplerContext): void {
    if (this.lastN === 0 || (this.repeat === 1 && this.frequency === 0 && this.presence === 0)) return;
    const history = context.history;
    const from = this.lastN < 0 ? 0 : Math.max(0, history.length - this.lastN);
    const counts = this.counts;
    counts.clear();
    for (let i = from; i < history.length; i++) counts.set(history[i], (counts.get(history[i]) ?? 0) + 1);
    if (counts.size === 0) return;
    const wasView = set.identity;
    set.materialize();
    const logits = set.logits;
    const penalise = (position: number, count: number) => {
      const l = logits[position];
      const scaled = l <= 0 ? l * this.repeat : l / this.repeat;
      logits[position] = scaled - count * this.frequency - this.presence;
    };
    if (wasView) {
      // Positions are token ids: touch only the seen tokens.
      for (const [token, count] of counts) if (token >= 0 && token < set.size) penalise(token, count);
    } else {
      for (let i = 0; i < set.size; i++) {
        const count = counts.get(set.ids[i]);
        if (count !== undefined) penalise(i, count);
      }
    }
    set.sorted = false;
  }
}
