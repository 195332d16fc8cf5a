import type { NextTokenScores } from '../src/decoding/language-model';
import type { LoadedModel } from '../src/model/load';

export interface ShiftDistance {
  /** Prompt pairs tried, and those whose second prompt the backend served through a KV shift. */
  readonly pairs: number;
  readonly samples: number;
  readonly medianShiftedTokens: number;
  /** KL(fresh ‖ shifted) of the next-token distribution, nats. */
  readonly klMedian: number;
  readonly klMax: number;
  /** Share of samples whose most likely next token is the same. */
  readonly top1Agreement: number;
  /** Share of samples whose greedy continuation of `continuationTokens` tokens is identical. */
  readonly continuationTokens: number;
  readonly continuationAgreement: number;
  /** KL(fresh ‖ exact re-evaluation in the same model): what float rounding alone gives. */
  readonly exactKlMax: number;
}

const CONTINUATION = 16;

/** KL(p ‖ q) in nats over the whole vocabulary (both scored with topN = Infinity). */
export function klDivergence(p: NextTokenScores, q: NextTokenScores): number {
  const a = p.full!;
  const b = q.full!;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const lp = a[i]! - p.logNormalizer;
    if (lp > -60) sum += Math.exp(lp) * (lp - (b[i]! - q.logNormalizer));
  }
  return sum;
}

async function scored(model: LoadedModel, tokens: readonly number[], options = {}): Promise<{ next: NextTokenScores; shifted: number; continuation: number[] }> {
  const lm = model.languageModel;
  const state = await lm.start(tokens, Infinity, undefined, options);
  try {
    const continuation: number[] = [];
    let next = state.next;
    for (let i = 0; i < CONTINUATION; i++) {
      const token = next.ids[0]!;
      continuation.push(token);
      [next] = await lm.evaluate([{ branch: state.branch, tokens: [token], topN: 1 }]);
    }
    return { next: state.next, shifted: state.shifted ?? 0, continuation };
  } finally {
    lm.release(state.branch);
  }
}

/**
 * For each pair, `model` evaluates the first prompt and then the second, which it may serve by
 * shifting the first's cache; `fresh` (another instance of the same model) evaluates the second
 * from scratch. Pairs the backend did not shift are skipped.
 */
export async function shiftDistance(model: LoadedModel, fresh: LoadedModel, pairs: readonly [readonly number[], readonly number[]][]): Promise<ShiftDistance> {
  const kl: number[] = [];
  const exactKl: number[] = [];
  const shiftedTokens: number[] = [];
  let top1 = 0;
  let same = 0;
  for (const [before, after] of pairs) {
    const first = await model.languageModel.start(before, 1);
    model.languageModel.release(first.branch);
    const shifted = await scored(model, after);
    if (shifted.shifted === 0) continue;
    const reference = await scored(fresh, after);
    const exact = await scored(model, after, { exact: true });
    kl.push(klDivergence(reference.next, shifted.next));
    exactKl.push(klDivergence(reference.next, exact.next));
    shiftedTokens.push(shifted.shifted);
    if (reference.next.ids[0] === shifted.next.ids[0]) top1++;
    if (reference.continuation.every((t, i) => t === shifted.continuation[i])) same++;
  }
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
  return {
    pairs: pairs.length,
    samples: kl.length,
    medianShiftedTokens: median(shiftedTokens),
    klMedian: median(kl),
    klMax: kl.length ? Math.max(...kl) : NaN,
    top1Agreement: top1 / Math.max(1, kl.length),
    continuationTokens: CONTINUATION,
    continuationAgreement: same / Math.max(1, kl.length),
    exactKlMax: exactKl.length ? Math.max(...exactKl) : NaN,
  };
}
