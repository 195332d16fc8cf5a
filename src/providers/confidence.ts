import type { TokenStep } from '../decoding/strategy';

/**
 * What no other completion tool offers: suggestions shaped by the model's own uncertainty.
 * All functions work on the token steps the engine reports, so the cut points are token
 * boundaries of the text the user sees.
 */

/** Characters of `steps` before the first token whose entropy (nats) reaches `entropy`. */
export function acceptUntilUncertain(steps: readonly Pick<TokenStep, 'text' | 'entropy'>[], entropy: number): number {
  let chars = 0;
  for (let i = 0; i < steps.length; i++) {
    // The first token is always accepted: the command must make progress.
    if (i > 0 && steps[i].entropy >= entropy) break;
    chars += steps[i].text.length;
  }
  return chars;
}

export type ConfidenceMode = 'cut' | 'suppress';

/**
 * Applies the confidence setting to one candidate: 'cut' keeps the text before the first
 * token with probability below `threshold`; 'suppress' drops the candidate when its mean
 * token probability (geometric, i.e. exp of the mean log-probability) is below it.
 * Returns the number of characters to keep (0: show nothing).
 */
export function confidentLength(steps: readonly Pick<TokenStep, 'text' | 'logprob'>[], threshold: number, mode: ConfidenceMode): number {
  const total = steps.reduce((n, s) => n + s.text.length, 0);
  if (threshold <= 0 || steps.length === 0) return total;
  const floor = Math.log(threshold);
  if (mode === 'suppress') {
    const mean = steps.reduce((a, s) => a + s.logprob, 0) / steps.length;
    return mean < floor ? 0 : total;
  }
  let chars = 0;
  for (const s of steps) {
    if (s.logprob < floor) break;
    chars += s.text.length;
  }
  return chars;
}
