import { ranks } from './rank-correlation';

/**
 * The chance that a random useful item scores above a random other one (ties count half):
 * the Mann-Whitney statistic over tie-averaged ranks. Null when either class is empty.
 */
export function auroc(scores: readonly number[], useful: readonly boolean[]): number | null {
  if (scores.length !== useful.length) throw new RangeError('auroc: scores and labels differ in length');
  const positives = useful.filter(Boolean).length;
  const negatives = useful.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const r = ranks(scores);
  const rankSum = r.reduce((a, x, i) => a + (useful[i] ? x : 0), 0);
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export interface PrPoint {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  /** Share of all items shown at this threshold. */
  readonly shown: number;
}

/** Precision and recall of "show when the score is at least t". */
export function precisionRecallAt(scores: readonly number[], useful: readonly boolean[], t: number): PrPoint {
  let kept = 0;
  let hits = 0;
  const positives = useful.filter(Boolean).length;
  scores.forEach((s, i) => {
    if (s < t) return;
    kept++;
    if (useful[i]) hits++;
  });
  return { threshold: t, precision: kept ? hits / kept : 1, recall: positives ? hits / positives : 1, shown: scores.length ? kept / scores.length : 0 };
}

/** The precision-recall curve: a point at each distinct score, highest threshold first. */
export function precisionRecallCurve(scores: readonly number[], useful: readonly boolean[]): PrPoint[] {
  const thresholds = [...new Set(scores)].sort((a, b) => b - a);
  return thresholds.map((t) => precisionRecallAt(scores, useful, t));
}

/**
 * The highest threshold that still shows at least `recall` of the useful items: the gate drops
 * as many of the rest as it can without hiding more than 1 − recall of what would have helped.
 * Infinity-free: with no useful items it shows everything (threshold 0).
 */
export function thresholdForRecall(scores: readonly number[], useful: readonly boolean[], recall: number): number {
  const kept = scores.filter((_, i) => useful[i]).sort((a, b) => b - a);
  if (kept.length === 0) return 0;
  const need = Math.max(1, Math.ceil(recall * kept.length - 1e-9));
  return kept[need - 1]!;
}

/** FNV-1a of a string: a split that depends only on the name, not on the order of a run. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Which half each item falls in, by its file: positions of one file stay together, so the test
 * half never sees code the fit half saw around the same lines. Files go, most positions first
 * (ties by a hash of the name), to the half with fewer positions so far: a few large files cannot
 * leave one half small. Depends only on the file names and their counts, not on their order.
 */
export function splitByFile(files: readonly string[]): ('fit' | 'test')[] {
  return groupsByFile(files, 2).map((g) => (g === 0 ? 'fit' : 'test'));
}

/** splitByFile into `k` groups (0..k−1): the folds of a cross-validation within the fit half. */
export function groupsByFile(files: readonly string[], k: number): number[] {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f, (counts.get(f) ?? 0) + 1);
  const order = [...counts].sort((a, b) => b[1] - a[1] || fnv1a(a[0]) - fnv1a(b[0]) || (a[0] < b[0] ? -1 : 1));
  const group = new Map<string, number>();
  const sizes = new Array<number>(k).fill(0);
  for (const [file, n] of order) {
    const g = sizes.indexOf(Math.min(...sizes));
    group.set(file, g);
    sizes[g]! += n;
  }
  return files.map((f) => group.get(f)!);
}
