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

/**
 * `tokentree.cutAtUncertain`: show a suggestion up to its first uncertain token, i.e. keep the
 * text before the first token with probability below `threshold` (whether to show a suggestion
 * at all is the gate's question: gate-policy.ts). Returns the number of characters to keep.
 */
export function confidentLength(steps: readonly Pick<TokenStep, 'text' | 'logprob'>[], threshold: number): number {
  const total = steps.reduce((n, s) => n + s.text.length, 0);
  if (threshold <= 0 || steps.length === 0) return total;
  const floor = Math.log(threshold);
  let chars = 0;
  for (const s of steps) {
    if (s.logprob < floor) break;
    chars += s.text.length;
  }
  return chars;
}
