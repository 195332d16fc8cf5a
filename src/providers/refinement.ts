import type { CursorRequest, Suggestion } from './controller-types';

/**
 * What happens when a search ends after greedy's suggestion was shown: `replace` the ghost
 * text, leave it and offer the search's best in the panel (`panel-only`), or show nothing
 * until the search ends (`off`).
 */
export type RefineMode = 'replace' | 'panel-only' | 'off';

export const REFINE_MODES: readonly RefineMode[] = ['replace', 'panel-only', 'off'];

/**
 * Why the search's best differs from the first suggestion: it scores higher (mean log-probability,
 * by at least HIGHER_SCORE_MARGIN nats a token), or it is what the search preferred by its own
 * measure (beam's length-normalised sum, MCTS's visits).
 */
export type RefineReason = 'higher-score' | 'search';

/** Why a different suggestion did not replace the first one. */
export type KeptReason = 'panel-only' | 'moved' | 'partial-accept' | 'gated';

export const HIGHER_SCORE_MARGIN = 0.05;

/** The end of an anytime completion whose first suggestion was shown. */
export interface Refinement {
  readonly request: CursorRequest;
  readonly first: readonly Suggestion[];
  readonly final: readonly Suggestion[];
  /** The search's best differs from the first suggestion, and why. Absent: the same text. */
  readonly reason?: RefineReason;
  /** The ghost text now shows the final suggestion. */
  readonly replaced: boolean;
  /** Set when the final differs and was not shown. */
  readonly kept?: KeptReason;
  /** Mean log-probability of each first candidate, for the panel's note. */
  readonly firstScore?: number;
  readonly finalScore?: number;
}

/** The mean log-probability of the candidate a suggestion came from. */
export function meanScoreOf(s: Suggestion | undefined): number | undefined {
  return s?.result?.candidates[s.candidate]?.meanLogprob;
}

/** Why `final` differs from `first` (undefined: it does not). */
export function refineReason(first: Suggestion | undefined, final: Suggestion | undefined): RefineReason | undefined {
  if (final === undefined || first?.text === final.text) return undefined;
  const a = meanScoreOf(first);
  const b = meanScoreOf(final);
  return a !== undefined && b !== undefined && b >= a + HIGHER_SCORE_MARGIN ? 'higher-score' : 'search';
}

/**
 * Whether the search's best replaces the shown first suggestion, and if not, why: never after part
 * of it was accepted, once the cursor or document moved, under `panel-only`, or when the gate keeps
 * the search's best back while the first was shown.
 */
export function decideRefinement(
  first: Suggestion | undefined, final: Suggestion | undefined, at: { readonly accepting: boolean; readonly here: boolean; readonly mode: RefineMode },
): { reason?: RefineReason; kept?: KeptReason; replaced: boolean } {
  const reason = refineReason(first, final);
  if (reason === undefined) return { replaced: false };
  const gated = final?.gate?.suppressed === true && first?.gate?.suppressed !== true;
  const kept: KeptReason | undefined = at.accepting ? 'partial-accept' : !at.here ? 'moved' : at.mode === 'panel-only' ? 'panel-only' : gated ? 'gated' : undefined;
  return kept ? { reason, kept, replaced: false } : { reason, replaced: true };
}

/** A one-line account of a refinement, for the log and the panel. */
export function describeRefinement(r: Refinement): string {
  if (r.reason === undefined) return 'The search ended with the same suggestion.';
  const why = r.reason === 'higher-score'
    ? `it scores higher (mean log p ${r.finalScore?.toFixed(2)} against ${r.firstScore?.toFixed(2)})`
    : `the search ranked it first (${r.final[0]?.result?.strategy ?? 'search'})`;
  const what = r.replaced ? 'replaced the first suggestion'
    : r.kept === 'panel-only' ? 'is offered here; the ghost text keeps the first suggestion'
      : r.kept === 'partial-accept' ? 'was not shown: part of the first suggestion was accepted'
        : r.kept === 'gated' ? 'is offered here; the gate predicts it unlikely to be right, so the ghost text keeps the first suggestion'
        : 'was not shown: the cursor or the document changed';
  return `The search's suggestion ${what}: ${why}.`;
}
