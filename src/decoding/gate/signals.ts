import type { CompletionResult } from '../completion';
import type { StopContext } from '../stop-rules';
import type { Candidate, TokenStep } from '../strategy';

/**
 * What the tree says about the suggestion a user would see, before anyone knows whether it is
 * right: the inputs of the gate that decides whether to show it. Every signal is computed over
 * the tokens of the suggestion as shown (after the stop rules cut it, token healing's re-typed
 * text included in its first token); null where the strategy has no such figure. The cursor's
 * signals (what the line already holds, whether the suggestion repeats a line of the window) are
 * what a contextual filter reads: a line half typed is easier to finish than an empty one. The
 * line's signals read only the tokens of the suggestion's first line, which is what "useful" is
 * judged by: Σ log p there is the model's own probability that the line is right.
 */
export const SIGNAL_NAMES = [
  'meanProb', 'minProb', 'firstEntropy', 'maxEntropy', 'sumLogprob', 'tokens',
  'margin', 'visitShare', 'value', 'greedyAgrees', 'naturalEnd',
  'lineLogprob', 'lineMinProb', 'typedOnLine', 'midWord', 'restOfLine', 'seenInWindow',
] as const;

export type SignalName = (typeof SIGNAL_NAMES)[number];
export type Signals = Readonly<Record<SignalName, number | null>>;

/** The steps that start before character `end` of their text (at least one). */
function stepsBefore(steps: readonly TokenStep[], end: number): readonly TokenStep[] {
  const out: TokenStep[] = [];
  let at = 0;
  for (const s of steps) {
    if (at >= end && out.length > 0) break;
    out.push(s);
    at += s.text.length;
  }
  return out;
}

/** The steps that make up the suggestion shown: those starting before the shown text's end. */
export function shownSteps(candidate: Candidate, healed = 0): readonly TokenStep[] {
  return candidate.shown ? stepsBefore(candidate.steps, healed + candidate.shown.cutAt) : candidate.steps;
}

const firstLine = (text: string) => text.split('\n', 1)[0]!.trimEnd();

/** The cursor's line, and the prompt window's text before the cursor (for `seenInWindow`). */
export type CursorContext = Pick<StopContext, 'linePrefix' | 'lineSuffix'> & { readonly window?: string };

/** Non-blank characters before the cursor on its line, log-scaled (one more matters less on a long line). */
const typed = (linePrefix: string) => Math.log1p(linePrefix.trim().length);

/** Whether the suggestion's first line, with what the line already holds, is a whole line of the window's prefix. */
function seenInWindow(text: string, at: CursorContext): number | null {
  if (at.window === undefined) return null;
  const line = (at.linePrefix + firstLine(text)).trim();
  if (line.length < 4) return 0;
  return Number(at.window.split('\n').some((l) => l.trim() === line));
}

/**
 * The signals of `result.candidates[index]`. `greedyText`: greedy's suggestion at the same
 * cursor where one was made (the editor's first suggestion, the evaluation's greedy run); its
 * first line agreeing with this one's is a vote of a second decoder. `at`: the cursor's line and
 * the prompt window's text before it (the cursor's signals are null without it).
 */
export function suggestionSignals(result: CompletionResult, index = 0, greedyText?: string, at?: CursorContext): Signals {
  const c = result.candidates[index];
  if (!c) throw new RangeError(`suggestionSignals: no candidate ${index}`);
  const steps = shownSteps(c, result.healed?.length ?? 0);
  const probs = steps.map((s) => Math.exp(s.logprob));
  const entropies = steps.map((s) => s.entropy);
  const next = result.candidates[index + 1];
  const text = c.shown?.text ?? c.text;
  const newline = text.indexOf('\n');
  const line = newline < 0 ? steps : stepsBefore(steps, (result.healed?.length ?? 0) + newline);
  return {
    meanProb: probs.length ? probs.reduce((a, p) => a + p, 0) / probs.length : null,
    minProb: probs.length ? Math.min(...probs) : null,
    firstEntropy: entropies.length ? entropies[0]! : null,
    maxEntropy: entropies.length ? Math.max(...entropies) : null,
    sumLogprob: steps.reduce((a, s) => a + s.logprob, 0),
    tokens: steps.length,
    margin: next ? c.score - next.score : null,
    visitShare: result.strategy === 'mcts' ? c.score : null,
    value: c.value ?? null,
    greedyAgrees: result.strategy === 'greedy' ? 1 : greedyText === undefined ? null : Number(firstLine(greedyText) === firstLine(text)),
    // Whole where the stop rules found its end (a statement or block closed, the text ahead met)
    // or the model ended it; cut off by the token limit or the time budget otherwise.
    naturalEnd: Number(c.shown?.reason !== undefined || c.finish === 'eog' || c.finish === 'stop'),
    lineLogprob: line.length ? line.reduce((a, s) => a + s.logprob, 0) : null,
    lineMinProb: line.length ? Math.min(...line.map((s) => Math.exp(s.logprob))) : null,
    typedOnLine: at ? typed(at.linePrefix) : null,
    midWord: at ? Number(/[\p{L}\p{N}_$]$/u.test(at.linePrefix)) : null,
    restOfLine: at ? Number(at.lineSuffix.trim().length > 0) : null,
    seenInWindow: at ? seenInWindow(text, at) : null,
  };
}
