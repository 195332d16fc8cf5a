/** Summaries the benchmarks print: medians, means, and seeded bootstrap intervals. */
import { createRng, type Rng } from '../src/decoding/rng';

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const mean = (xs: readonly number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;

/** A seeded stream, so a rerun on the same data gives the same interval. */
export const seededRandom = (): Rng => createRng(1);

export const resample = (xs: readonly number[], random: Rng) => xs.map(() => xs[Math.floor(random() * xs.length)]!);

/** The 2.5th and 97.5th percentiles of `draws` values of `draw()`. */
export function percentiles(draw: () => number, draws = 2000): [number, number] {
  const values = Array.from({ length: draws }, draw).sort((a, b) => a - b);
  return [values[Math.floor(draws * 0.025)]!, values[Math.floor(draws * 0.975)]!];
}

/** A 95% interval for `statistic` of `xs` by resampling. */
export function interval(xs: readonly number[], statistic: (ys: number[]) => number): [number, number] {
  const random = seededRandom();
  return percentiles(() => statistic(resample(xs, random)));
}
