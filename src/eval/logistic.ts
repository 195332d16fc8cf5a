/**
 * Logistic regression by Newton's method (IRLS) with a small ridge penalty, over standardised
 * features: a dozen signals and a few hundred positions need no library. Columns that do not vary
 * in the fit data (a signal the strategy lacks) get weight 0.
 */

export interface LogisticFit {
  readonly intercept: number;
  /** Per column: its mean and spread in the fit data, and its weight on the standardised value. */
  readonly columns: readonly { readonly mean: number; readonly std: number; readonly weight: number }[];
}

/** Missing values (null) are the column's mean, so they move no prediction. */
export function fitLogistic(rows: readonly (readonly (number | null)[])[], labels: readonly boolean[], ridge = 1, iterations = 50): LogisticFit {
  if (rows.length !== labels.length) throw new RangeError('fitLogistic: rows and labels differ in length');
  const width = rows[0]?.length ?? 0;
  const stats = Array.from({ length: width }, (_, j) => {
    const xs = rows.map((r) => r[j]).filter((x): x is number => x !== null && Number.isFinite(x));
    const mean = xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : 0;
    const std = xs.length ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length) : 0;
    return { mean, std: std > 1e-12 ? std : 0 };
  });
  const used = stats.map((s, j) => (s.std > 0 ? j : -1)).filter((j) => j >= 0);
  // Design matrix: 1 (intercept), then the varying columns standardised.
  const X = rows.map((r) => [1, ...used.map((j) => (r[j] === null || !Number.isFinite(r[j]!) ? 0 : (r[j]! - stats[j]!.mean) / stats[j]!.std))]);
  const y = labels.map(Number);
  const k = used.length + 1;
  const w = new Array<number>(k).fill(0);
  for (let it = 0; it < iterations; it++) {
    const H = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (a === b && a > 0 ? ridge : 0)));
    const g = w.map((wa, a) => (a > 0 ? -ridge * wa : 0));
    X.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-x.reduce((s, v, a) => s + v * w[a]!, 0)));
      const q = p * (1 - p);
      for (let a = 0; a < k; a++) {
        g[a]! += x[a]! * (y[i]! - p);
        for (let b = 0; b < k; b++) H[a]![b]! += q * x[a]! * x[b]!;
      }
    });
    const step = solve(H, g);
    let change = 0;
    for (let a = 0; a < k; a++) {
      w[a]! += step[a]!;
      change = Math.max(change, Math.abs(step[a]!));
    }
    if (change < 1e-9) break;
  }
  return {
    intercept: w[0]!,
    columns: stats.map((s, j) => ({ ...s, weight: used.includes(j) ? w[used.indexOf(j) + 1]! : 0 })),
  };
}

/** The fitted model's probability for one row (missing values: the column's mean). */
export function probability(fit: LogisticFit, row: readonly (number | null)[]): number {
  let z = fit.intercept;
  fit.columns.forEach((c, j) => {
    const x = row[j];
    if (c.std > 0 && x !== null && x !== undefined && Number.isFinite(x)) z += (c.weight * (x - c.mean)) / c.std;
  });
  return 1 / (1 + Math.exp(-z));
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A is positive definite here). */
export function solve(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[pivot]![c]!)) pivot = r;
    [M[c], M[pivot]] = [M[pivot]!, M[c]!];
    const d = M[c]![c]!;
    if (Math.abs(d) < 1e-300) throw new RangeError('solve: singular matrix');
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]! / d;
      if (f !== 0) for (let j = c; j <= n; j++) M[r]![j]! -= f * M[c]![j]!;
    }
  }
  return M.map((row, i) => row[n]! / row[i]!);
}
