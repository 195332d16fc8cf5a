import type { CompletionResult } from '../decoding/completion';
import type { GateCalibration } from '../decoding/gate/predictor';
import type { CursorContext } from '../decoding/gate/signals';
import { finishCompletion, type StopContext } from '../decoding/stop-rules';
import { healedLength } from '../decoding/token-healing';
import { confidentLength } from './confidence';
import type { ControllerSettings } from './controller-settings';
import type { Suggestion } from './controller-types';
import { gateDecision } from './gate-policy';

/**
 * Candidates → suggestions: stop rules, the cut at the first uncertain token, no empties or
 * duplicates, best first, each with the gate's verdict (`greedyText`: the first suggestion of
 * an anytime completion, for the gate's "greedy agrees" signal; `stop.window`: the prompt's text
 * before the cursor, for its "seen in the window" signal).
 */
export function shapeSuggestions(
  result: CompletionResult, stop: StopContext & CursorContext, s: ControllerSettings, calibration: GateCalibration | undefined, greedyText?: string,
): Suggestion[] {
  const out: Suggestion[] = [];
  const seen = new Set<string>();
  result.candidates.forEach((c, i) => {
    // Token texts include what token healing re-typed; the candidate's text does not.
    const keep = Math.max(0, confidentLength(c.steps, s.cutAtUncertain) - healedLength(result));
    // The engine applied the same stop rules to the whole candidate; only a confidence cut needs them again.
    const text = c.shown && keep >= c.text.length ? c.shown.text : finishCompletion(c.text.slice(0, keep), stop);
    if (!text.trim() || seen.has(text) || out.length >= s.candidates) return;
    seen.add(text);
    const gate = gateDecision(calibration, s.gate, result, i, greedyText, stop);
    out.push({ text, candidate: i, result, ...(gate ? { gate } : {}) });
  });
  return out;
}

/** The suggestions shown as ghost text: those the gate let through (the panel lists them all). */
export function shownInline(suggestions: readonly Suggestion[]): Suggestion[] {
  return suggestions.filter((s) => !s.gate?.suppressed);
}

/** Text right of the cursor that makes a suggestion awkward: closers and spaces don't count. */
export function blockingSuffix(lineSuffix: string): string {
  return lineSuffix.replace(/[\s)\]}'"`;,]/g, '');
}
