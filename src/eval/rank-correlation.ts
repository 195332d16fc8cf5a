/** Ranks 1..n, ties sharing their mean rank. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson's over tie-averaged ranks); null when either side is constant or n < 2. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length !== ys.length) throw new RangeError('spearman: the two samples differ in length');
  if (xs.length < 2) return null;
  const rx = ranks(xs);
  const ry = ranks(ys);
  const mean = (rx.length + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    const dx = rx[i]! - mean;
    const dy = ry[i]! - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/** Pairs of (score, quality) for the ranked candidates of one position. */
export type PositionPairs = ReadonlyArray<{ readonly score: number; readonly quality: number }>;

/**
 * Does a higher score go with a better candidate? `withinPosition`: the mean of the per-position
 * correlations (positions where both sides vary), which compares a position's candidates with each
 * other; `pooled`: one correlation over every candidate of every position, which also compares
 * positions (an easy position has both higher scores and better candidates).
 */
export function scoreQuality(positions: readonly PositionPairs[]): { withinPosition: number | null; positions: number; pooled: number | null; pairs: number } {
  const per = positions.map((p) => spearman(p.map((x) => x.score), p.map((x) => x.quality))).filter((r): r is number => r !== null);
  const all = positions.flat();
  return {
    withinPosition: per.length ? per.reduce((a, b) => a + b, 0) / per.length : null,
    positions: per.length,
    pooled: spearman(all.map((x) => x.score), all.map((x) => x.quality)),
    pairs: all.length,
  };
}
