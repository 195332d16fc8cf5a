import { STRATEGY_NAMES } from '../decoding/strategies';
import type { GateCalibration, GatePredictor } from '../decoding/gate/predictor';
import { gatingFigures, type GatingFigures, type GatingRecord } from './gating';

/**
 * A calibration from an evaluation's per-position records: per strategy (the plain ones, with
 * token healing, as the editor runs them), the predictor fitted on the fit half of the files and
 * its threshold chosen there; the held-out figures ride along for whoever reads the file.
 */
export function calibrationFromRecords(records: Readonly<Record<string, readonly GatingRecord[]>>, model: string, positions: number, modelIdentity?: string): { calibration: GateCalibration; figures: Record<string, GatingFigures> } {
  const strategies: Record<string, GatePredictor> = {};
  const figures: Record<string, GatingFigures> = {};
  for (const name of STRATEGY_NAMES) {
    const list = records[name];
    if (!list || list.length === 0) continue;
    const fitted = gatingFigures(list, 'exact-line');
    strategies[name] = fitted.predictor;
    figures[name] = fitted.figures;
  }
  return { calibration: { version: 1, useful: 'exact-line', ...(modelIdentity ? { modelIdentity } : {}), model, positions, strategies }, figures };
}
