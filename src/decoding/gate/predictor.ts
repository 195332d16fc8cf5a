import { SIGNAL_NAMES, type SignalName, type Signals } from './signals';

/** One signal's part in a fitted predictor: standardised with the fit data's mean and spread. */
export interface FeatureWeight {
  readonly name: SignalName;
  readonly mean: number;
  readonly std: number;
  readonly weight: number;
}

/** A logistic predictor of "this suggestion is useful" and the probability it is shown from. */
export interface GatePredictor {
  readonly intercept: number;
  readonly features: readonly FeatureWeight[];
  /** The operating point: suggestions predicted at least this likely are shown. */
  readonly threshold: number;
  /** Held-out figures; `enabled` is false when the predictor does not rank better than AUROC 0.6. */
  readonly heldOut: { readonly auroc: number | null; readonly precision: number; readonly recall: number; readonly baselinePrecision: number; readonly positions: number };
  readonly enabled: boolean;
}

/** Predictors per strategy, fitted for one model. */
export interface GateCalibration {
  readonly version: 1;
  /** What "useful" meant when fitting: the first line exactly right. */
  readonly useful: string;
  /** The model file's identity (modelIdentity()); absent: the shipped calibration of the built-in model. */
  readonly modelIdentity?: string;
  readonly model: string;
  readonly positions: number;
  readonly strategies: Readonly<Record<string, GatePredictor>>;
}

export interface GateVerdict {
  readonly probability: number;
  /** The signal that lowered the probability most (raised it most when none lowered it). */
  readonly weighedMost?: SignalName;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A missing signal counts as the fit data's mean: it moves the prediction neither way. */
export function predict(p: Pick<GatePredictor, 'intercept' | 'features'>, signals: Signals): GateVerdict {
  let z = p.intercept;
  const parts: { name: SignalName; part: number }[] = [];
  for (const f of p.features) {
    const x = signals[f.name];
    const part = x === null || x === undefined || f.std === 0 ? 0 : (f.weight * (x - f.mean)) / f.std;
    z += part;
    if (part !== 0) parts.push({ name: f.name, part });
  }
  const most = parts.reduce<{ name: SignalName; part: number } | undefined>((m, x) => (!m || (m.part > 0 ? x.part < 0 || x.part > m.part : x.part < m.part) ? x : m), undefined);
  return { probability: sigmoid(z), ...(most ? { weighedMost: most.name } : {}) };
}

/** A calibration read from disk or a package, checked: bad data is an error, never a silent gate. */
export function parseCalibration(data: unknown): GateCalibration {
  const fail = (why: string): never => {
    throw new Error(`gate calibration: ${why}`);
  };
  const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (typeof data !== 'object' || data === null) fail('not an object');
  const d = data as Record<string, unknown>;
  if (d.version !== 1) fail('unknown version');
  if (typeof d.strategies !== 'object' || d.strategies === null) fail('no strategies');
  for (const [name, raw] of Object.entries(d.strategies as Record<string, unknown>)) {
    const p = raw as Record<string, unknown>;
    if (!isNum(p?.intercept) || !isNum(p.threshold) || typeof p.enabled !== 'boolean' || !Array.isArray(p.features)) fail(`strategy ${name} is malformed`);
    for (const f of p.features as Record<string, unknown>[]) {
      if (!SIGNAL_NAMES.includes(f?.name as SignalName) || !isNum(f.mean) || !isNum(f.std) || !isNum(f.weight)) fail(`strategy ${name} has a malformed feature`);
    }
  }
  return data as GateCalibration;
}
