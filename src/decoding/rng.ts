/**
 * Seeded random numbers that are identical on every machine: only 32-bit integer
 * arithmetic (Math.imul) feeds the state, so no platform float behaviour leaks in.
 * Algorithm: mulberry32, enough for sampling (not for cryptography).
 */
export type Rng = () => number;

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent stream for sub-tasks (e.g. one per sample) from one seed. */
export function deriveSeed(seed: number, stream: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(stream + 1, 0xc2b2ae35)) >>> 0;
}

/** Fisher-Yates in place with a seeded stream: the same order on every machine for a seed. */
export function shuffle<T>(xs: T[], rand: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
