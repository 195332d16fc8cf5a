import type { GatingFigures } from './gating';
import type { PositionScore } from './metrics';
import type { scoreQuality } from './rank-correlation';

/** Quality of the suggestions shown (the editor's stop rules applied) over a set of positions. */
export interface QualityFigures {
  readonly positions: number;
  readonly exactLine: number;
  readonly exactNextLine: number;
  readonly editSimilarity: number;
  /** Share of positions (with a parser) whose file still parses; null without a parser. */
  readonly parses: number | null;
  /** Share of positions whose suggestion repeats the text after the cursor. */
  readonly repeatsSuffix: number;
}

export interface ArmResult extends QualityFigures {
  readonly strategy: string;
  readonly healing: boolean;
  /**
   * The best candidate as generated, before the stop rules: the share that ran into the text after
   * the cursor (the stop rules cut or dropped it for that), and its edit similarity.
   */
  readonly raw: { readonly repeatsSuffix: number; readonly editSimilarity: number };
  /** Cursors at the end of a line before a line of closing brackets: how often the suggestion repeats it. */
  readonly closers: { readonly positions: number; readonly repeatsSuffix: number; readonly raw: { readonly repeatsSuffix: number } };
  /** The positions cut inside an identifier, and the others. */
  readonly midIdentifier: QualityFigures;
  readonly boundary: QualityFigures;
  /** The positions whose true text uses a name declared in another file of the package and missing from the window, and the others. */
  readonly crossFile: QualityFigures;
  readonly sameFile: QualityFigures;
  readonly medianMs: number;
  /** Model calls per position (mean). */
  readonly modelCalls: number;
  /** Rank correlation between each score the strategy ranks by and its candidates' edit similarity to the truth. */
  readonly scoreQuality: Readonly<Record<string, ReturnType<typeof scoreQuality>>>;
  /** Should the suggestion be shown at all? Its signals against "first line exact" (and `similarity`: edit similarity ≥ 0.7). */
  readonly gating: GatingFigures & { readonly similarity: GatingFigures };
}

export interface Scored extends PositionScore {
  readonly repeatsSuffix: boolean;
  readonly midIdentifier: boolean;
  readonly crossFile: boolean;
}

export function figures(scores: readonly Scored[]): QualityFigures {
  const share = (pred: (s: Scored) => boolean) => scores.filter(pred).length / Math.max(1, scores.length);
  const parsed = scores.filter((s) => s.parses !== null);
  return {
    positions: scores.length,
    exactLine: share((s) => s.exactLine),
    exactNextLine: share((s) => s.exactNextLine),
    editSimilarity: scores.reduce((a, s) => a + s.editSimilarity, 0) / Math.max(1, scores.length),
    parses: parsed.length ? parsed.filter((s) => s.parses).length / parsed.length : null,
    repeatsSuffix: share((s) => s.repeatsSuffix),
  };
}

/** The text table `tokentree eval` prints without --json. */
export function formatTable(model: string, files: number, positions: number, results: readonly ArmResult[]): string {
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const rho = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toFixed(2));
  const rows = [['strategy', 'healing', 'exact line', 'exact next', 'edit sim', 'mid-word edit sim', 'parses', 'repeats', 'before }: repeats (raw)', 'ρ(score, sim)', 'median ms', 'calls', 'best signal AUROC', 'gate AUROC', 'gated useful (ungated)', 'useful kept']];
  for (const r of results) {
    rows.push([
      r.strategy, r.healing ? 'on' : 'off', pct(r.exactLine), pct(r.exactNextLine), r.editSimilarity.toFixed(3), r.midIdentifier.editSimilarity.toFixed(3), pct(r.parses),
      pct(r.repeatsSuffix), `${pct(r.closers.repeatsSuffix)} (${pct(r.closers.raw.repeatsSuffix)})`, rho(r.scoreQuality.score?.withinPosition ?? r.scoreQuality.score?.pooled), r.medianMs.toFixed(1), r.modelCalls.toFixed(1),
      r.gating.bestSignal ? `${r.gating.bestSignal.name} ${r.gating.bestSignal.auroc.toFixed(2)}` : '-', rho(r.gating.predictor.auroc),
      `${pct(r.gating.predictor.precision)} (${pct(r.gating.predictor.baselinePrecision)})`, pct(r.gating.predictor.recall),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return [`model ${model} · ${positions} positions from ${files} files`, ...table].join('\n');
}
