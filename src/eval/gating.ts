import { SIGNAL_NAMES, type SignalName, type Signals } from '../decoding/gate/signals';
import type { GatePredictor } from '../decoding/gate/predictor';
import { predict } from '../decoding/gate/predictor';
import { auroc, groupsByFile, precisionRecallAt, precisionRecallCurve, splitByFile, thresholdForRecall, type PrPoint } from './auroc';
import { fitLogistic, probability } from './logistic';

/** One shown suggestion: its signals, and how close it came to the truth. */
export interface GatingRecord {
  readonly file: string;
  readonly signals: Signals;
  readonly exactLine: boolean;
  readonly editSimilarity: number;
}

/** What "useful" means: the first line exactly right (the gate's own), or close enough to edit. */
export const USEFUL = {
  'exact-line': (r: GatingRecord) => r.exactLine,
  'edit-similarity>=0.7': (r: GatingRecord) => r.editSimilarity >= 0.7,
} as const;
export type UsefulKind = keyof typeof USEFUL;

/** The share of useful suggestions the default operating point keeps. */
export const KEEP_USEFUL = 0.8;

/**
 * The share to keep among the `useful` suggestions a threshold is read from, so that new code
 * keeps KEEP_USEFUL: one standard error more (about 0.09 for 20 useful suggestions, 0.03 for
 * 200). Read at exactly 80% off twenty-odd useful suggestions, a threshold kept 58-96% of another
 * half's.
 */
export function recallTarget(useful: number): number {
  return Math.min(1, KEEP_USEFUL + Math.sqrt((KEEP_USEFUL * (1 - KEEP_USEFUL)) / Math.max(1, useful)));
}
/** A predictor that ranks no better than this on held-out positions does not gate. */
export const MIN_AUROC = 0.6;
/** Ridge penalties tried, strongest first (a tie keeps the simpler model), and the folds that choose among them. */
const RIDGES = [100, 30, 10, 3, 1, 0.3];
const FOLDS = 5;
/** A signal joins the predictor only if it raises the out-of-fold AUROC by this much. */
const MIN_GAIN = 0.005;

const rowOf = (r: GatingRecord) => SIGNAL_NAMES.map((n) => r.signals[n]);
/** The row with only `columns` kept: the others missing, which fitLogistic leaves out. */
const keep = (row: readonly (number | null)[], columns: ReadonlySet<number>) => row.map((x, j) => (columns.has(j) ? x : null));

/** Out-of-fold predictions: each fold's positions predicted by a model fitted on the other folds. */
function outOfFold(rows: readonly (readonly (number | null)[])[], labels: readonly boolean[], folds: readonly number[], ridge: number): number[] {
  const oof = new Array<number>(rows.length).fill(0);
  for (let k = 0; k < FOLDS; k++) {
    const train = rows.map((_, i) => i).filter((i) => folds[i] !== k);
    if (train.length === rows.length) continue;
    const model = fitLogistic(train.map((i) => rows[i]!), train.map((i) => labels[i]!), ridge);
    rows.forEach((row, i) => {
      if (folds[i] === k) oof[i] = probability(model, row);
    });
  }
  return oof;
}

/**
 * Within the fit half only: which signals, which ridge penalty and which threshold. Signals are
 * added one at a time (forward selection), each time the one whose out-of-fold predictions (5
 * folds by file) rank best, while that adds at least MIN_GAIN of AUROC; the threshold keeps
 * recallTarget() of the useful suggestions among the chosen model's out-of-fold predictions. With a
 * hundred-odd positions, every signal at once fits their noise: held out it ranked below the best
 * single signal. A threshold read off the model's own training predictions keeps fewer of the
 * useful ones on new code for the same reason.
 */
export function crossValidate(fit: readonly GatingRecord[], isUseful: (r: GatingRecord) => boolean): { ridge: number; threshold: number; auroc: number | null; signals: SignalName[] } {
  const folds = groupsByFile(fit.map((r) => r.file), FOLDS);
  const rows = fit.map(rowOf);
  const labels = fit.map(isUseful);
  let best: { columns: Set<number>; ridge: number; auroc: number; oof: number[] } | undefined;
  for (;;) {
    let step: typeof best;
    for (let j = 0; j < SIGNAL_NAMES.length; j++) {
      if (best?.columns.has(j)) continue;
      const columns = new Set([...(best?.columns ?? []), j]);
      const masked = rows.map((r) => keep(r, columns));
      for (const ridge of RIDGES) {
        const oof = outOfFold(masked, labels, folds, ridge);
        const a = auroc(oof, labels) ?? 0;
        if (!step || a > step.auroc + 1e-9) step = { columns, ridge, auroc: a, oof };
      }
    }
    if (!step || (best && step.auroc < best.auroc + MIN_GAIN)) break;
    best = step;
  }
  if (!best) return { ridge: RIDGES[0]!, threshold: 0, auroc: null, signals: [] };
  return {
    ridge: best.ridge, threshold: thresholdForRecall(best.oof, labels, recallTarget(labels.filter(Boolean).length)), auroc: best.auroc,
    signals: SIGNAL_NAMES.filter((_, j) => best.columns.has(j)),
  };
}

export interface GatingFigures {
  readonly useful: UsefulKind;
  /** Shown suggestions, and the share of them that were useful. */
  readonly shown: number;
  readonly usefulShare: number;
  /** Each signal's AUROC over every shown suggestion (below 0.5: lower means useful). */
  readonly auroc: Readonly<Record<string, number | null>>;
  /** The signal that separates best in either direction, as max(AUROC, 1 − AUROC). */
  readonly bestSignal: { readonly name: string; readonly auroc: number } | null;
  readonly predictor: {
    /** Held-out half: AUROC, and at the threshold chosen on the fit half, precision and recall. */
    readonly auroc: number | null;
    readonly threshold: number;
    readonly precision: number;
    readonly recall: number;
    /** The held-out half's useful share with no gate. */
    readonly baselinePrecision: number;
    readonly fitPositions: number;
    readonly testPositions: number;
    /** Chosen within the fit half: the signals, the ridge penalty, and their out-of-fold AUROC there. */
    readonly signals: readonly SignalName[];
    readonly ridge: number;
    readonly crossValidatedAuroc: number | null;
    /** Held-out precision-recall curve (at most 20 points, highest threshold first). */
    readonly curve: readonly PrPoint[];
  };
}

/**
 * Fits the predictor on the fit half of the positions (splitByFile), chooses its threshold
 * there (keep KEEP_USEFUL of the useful ones), and measures everything else on the test half.
 */
export function gatingFigures(records: readonly GatingRecord[], kind: UsefulKind = 'exact-line'): { figures: GatingFigures; predictor: GatePredictor } {
  const isUseful = USEFUL[kind];
  const labels = records.map(isUseful);
  const signalAuroc: Record<string, number | null> = {};
  for (const name of SIGNAL_NAMES) {
    const have = records.map((r, i) => [r.signals[name], labels[i]!] as const).filter((x): x is readonly [number, boolean] => x[0] !== null);
    signalAuroc[name] = auroc(have.map((x) => x[0]), have.map((x) => x[1]));
  }
  const best = Object.entries(signalAuroc)
    .filter((e): e is [string, number] => e[1] !== null)
    .map(([name, a]) => ({ name, auroc: Math.max(a, 1 - a) }))
    .sort((a, b) => b.auroc - a.auroc)[0] ?? null;

  const halves = splitByFile(records.map((r) => r.file));
  const fit = records.filter((_, i) => halves[i] === 'fit');
  const test = records.filter((_, i) => halves[i] === 'test');
  const cv = crossValidate(fit, isUseful);
  const chosen = new Set(cv.signals.map((n) => SIGNAL_NAMES.indexOf(n)));
  const model = fitLogistic(fit.map((r) => keep(rowOf(r), chosen)), fit.map(isUseful), cv.ridge);
  const features = SIGNAL_NAMES.map((name, j) => ({ name, ...model.columns[j]! })).filter((f) => f.weight !== 0);
  const score = (r: GatingRecord) => predict({ intercept: model.intercept, features }, r.signals).probability;
  const threshold = cv.threshold;
  const testScores = test.map(score);
  const testLabels = test.map(isUseful);
  const at = precisionRecallAt(testScores, testLabels, threshold);
  const testAuroc = auroc(testScores, testLabels);
  const baselinePrecision = test.length ? testLabels.filter(Boolean).length / test.length : 0;
  const curve = precisionRecallCurve(testScores, testLabels);
  const step = Math.max(1, Math.ceil(curve.length / 20));
  const predictor: GatePredictor = {
    intercept: model.intercept,
    features,
    threshold,
    heldOut: { auroc: testAuroc, precision: at.precision, recall: at.recall, baselinePrecision, positions: test.length },
    enabled: testAuroc !== null && testAuroc >= MIN_AUROC,
  };
  return {
    predictor,
    figures: {
      useful: kind,
      shown: records.length,
      usefulShare: records.length ? labels.filter(Boolean).length / records.length : 0,
      auroc: signalAuroc,
      bestSignal: best,
      predictor: {
        auroc: testAuroc, threshold, precision: at.precision, recall: at.recall, baselinePrecision,
        fitPositions: fit.length, testPositions: test.length, signals: cv.signals, ridge: cv.ridge, crossValidatedAuroc: cv.auroc,
        curve: curve.filter((_, i) => i % step === 0),
      },
    },
  };
}
