import type { CompletionResult } from '../decoding/completion';
import { predict, type GateCalibration } from '../decoding/gate/predictor';
import { suggestionSignals, type CursorContext, type SignalName } from '../decoding/gate/signals';

/** `tokentree.gate`: the calibrated operating point, no gate, or a probability of your own. */
export type GateSetting = 'auto' | 'off' | number;

/** Why a suggestion was or was not shown inline: the predicted chance it is right, and the bar. */
export interface GateDecision {
  readonly suppressed: boolean;
  readonly probability: number;
  readonly threshold: number;
  readonly weighedMost?: SignalName;
}

/**
 * Decides whether candidate `index` of a result is worth showing inline, with the predictor the
 * calibration holds for the result's strategy. Undefined: nothing gates it (the setting is off,
 * the calibration has no predictor for the strategy, or `auto` and the predictor did not rank
 * well enough on held-out code to be trusted).
 */
export function gateDecision(
  calibration: GateCalibration | undefined, setting: GateSetting, result: CompletionResult, index: number, greedyText?: string, at?: CursorContext,
): GateDecision | undefined {
  if (setting === 'off' || !calibration) return undefined;
  const predictor = calibration.strategies[result.strategy];
  if (!predictor || (setting === 'auto' && !predictor.enabled)) return undefined;
  const threshold = setting === 'auto' ? predictor.threshold : setting;
  const verdict = predict(predictor, suggestionSignals(result, index, greedyText, at));
  return { suppressed: verdict.probability < threshold, probability: verdict.probability, threshold, ...(verdict.weighedMost ? { weighedMost: verdict.weighedMost } : {}) };
}

/** The panel's words for a suppressed suggestion. */
export const SIGNAL_WORDS: Readonly<Record<SignalName, string>> = {
  meanProb: 'mean token probability',
  minProb: 'least likely token',
  firstEntropy: 'uncertainty at the first token',
  maxEntropy: 'most uncertain token',
  sumLogprob: 'total log-probability',
  tokens: 'length',
  margin: 'margin over the second candidate',
  visitShare: 'share of MCTS visits',
  value: 'MCTS value',
  greedyAgrees: 'agreement with greedy',
  naturalEnd: 'ending at a natural boundary',
  lineLogprob: "the first line's probability",
  lineMinProb: 'least likely token of the first line',
  typedOnLine: 'how much of the line is typed',
  midWord: 'the cursor inside a word',
  restOfLine: 'text after the cursor on its line',
  seenInWindow: 'the line repeating one above',
};

export function describeGate(d: GateDecision): string {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const why = d.weighedMost ? `; weighed most: ${SIGNAL_WORDS[d.weighedMost]}` : '';
  return d.suppressed
    ? `not shown inline: ${pct(d.probability)} likely right, below the gate's ${pct(d.threshold)}${why}`
    : `shown: ${pct(d.probability)} likely right (gate ${pct(d.threshold)})`;
}
