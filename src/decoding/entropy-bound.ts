import type { Distribution } from './distribution';

/**
 * A backend that returns only the top N tokens gives an entropy over that slice, which reads
 * lowest exactly where the model was unsure (much of the mass lies outside it). Every token left
 * out is no likelier than the slice's least, so the tail's mass m adds at least m·ln(1/p_min):
 * the step's true entropy is at least the slice's plus that. Undefined when the entropy is exact
 * (full logits) or the slice holds all the mass.
 */
export function entropyLowerBound(dist: Distribution): number | undefined {
  if (dist.full || dist.size === 0 || dist.tailMass <= 1e-12) return undefined;
  const leastLogprob = dist.logprobs[dist.size - 1]!;
  return dist.entropy + dist.tailMass * Math.max(0, -leastLogprob);
}
