import { validLogit, type CandidateSet } from './candidate-set';
import { simdKernel } from './simd-kernel';

/**
 * Max and min logit of the survivors, validating them (NaN or +Infinity throws, naming the
 * token). A large view goes through the SIMD kernel; the JS loop remains for small or
 * owned sets and to name a bad token.
 */
export function logitRange(set: CandidateSet): { max: number; min: number } {
  const n = set.size;
  if (set.identity && n >= 4096) {
    const simd = simdKernel();
    if (simd) {
      simd.load(set.source.subarray(0, n));
      const max = simd.max();
      if (max < Infinity) return { max, min: simd.min() };
    }
  }
  const l = set.logitArray();
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const x = l[i];
    if (!(x <= max)) max = validLogit(x, set.idAt(i));
    if (x < min) min = x;
  }
  return { max, min };
}
