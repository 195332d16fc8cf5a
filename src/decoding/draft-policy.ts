/**
 * How many drafted tokens a decode should carry, from what drafting did so far on this model and
 * machine. A decode of 1 + k tokens yields Σ_{i≤k} α^i tokens on average when each drafted token is
 * the model's pick with probability α (the first refusal ends the run), and costs D(1 + k). The
 * policy picks the k that maximises tokens per millisecond, 0 (no draft) where none beats one token
 * per D(1). Both are learned as the model runs:
 * - α, the acceptance rate of drafted tokens, counted with exponential forgetting;
 * - D(n) = a + b·n, a least-squares fit of decode time against tokens decoded, with forgetting.
 * On a GPU, or on a CPU running a large model whose weights are read once per decode, b is a small
 * share of a and long drafts pay; on a CPU running a small model, each drafted token costs a real
 * share of a decode, and only short drafts of likely tokens do.
 */

export interface DraftPolicyOptions {
  /** Weight kept of the past per decode recorded: 0.95 remembers about the last 20. */
  readonly forgetting?: number;
  /** Acceptance before anything is known, as a count of drafted tokens kept and refused. */
  readonly priorAccepted?: number;
  readonly priorRefused?: number;
  /** Cost of a drafted token as a share of a one-token decode, before the fit has spread to go on. */
  readonly priorTokenCost?: number;
}

export class DraftPolicy {
  private readonly forgetting: number;
  private readonly priorAccepted: number;
  private readonly priorRefused: number;
  private accepted: number;
  private refused: number;
  private readonly priorTokenCost: number;
  // Decayed sums for the fit of decode ms against tokens decoded.
  private w = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;

  constructor(o: DraftPolicyOptions = {}) {
    this.forgetting = o.forgetting ?? 0.95;
    this.priorAccepted = o.priorAccepted ?? 1;
    this.priorRefused = o.priorRefused ?? 1;
    this.accepted = this.priorAccepted;
    this.refused = this.priorRefused;
    this.priorTokenCost = o.priorTokenCost ?? 0.1;
  }

  /** Share of drafted tokens that were the model's pick, as remembered. */
  get acceptance(): number {
    return this.accepted / (this.accepted + this.refused);
  }

  /** A drafted token's decode cost as a share of a one-token decode: b / (a + b). */
  get tokenCost(): number {
    const n = this.w;
    const varX = n > 0 ? this.sxx / n - (this.sx / n) ** 2 : 0;
    // Too few decodes, or all of one size: the prior (no slope can be fitted).
    if (n < 4 || varX < 0.25) return this.priorTokenCost;
    const slope = (this.sxy / n - (this.sx / n) * (this.sy / n)) / varX;
    const intercept = this.sy / n - slope * (this.sx / n);
    const one = intercept + slope;
    if (!(one > 0)) return this.priorTokenCost;
    return Math.min(1, Math.max(0, slope / one));
  }

  /** The draft length, at most `most`, with the most tokens per unit of decode time (0: no draft). */
  length(most: number): number {
    const alpha = this.acceptance;
    const cost = this.tokenCost;
    let best = 0;
    let bestRate = 1;
    let expected = 1;
    let next = 1;
    for (let k = 1; k <= most; k++) {
      next *= alpha;
      expected += next;
      const rate = expected / (1 + cost * k);
      if (rate > bestRate * (1 + 1e-9)) {
        best = k;
        bestRate = rate;
      }
    }
    return best;
  }

  /** One decode: how many tokens it decoded and took (ms), and of its drafted tokens, how many were kept. */
  record(decoded: number, ms: number, drafted: number, kept: number): void {
    const f = this.forgetting;
    if (drafted > 0) {
      this.accepted = this.accepted * f + kept;
      this.refused = this.refused * f + (kept < drafted ? 1 : 0);
    } else {
      // Undrafted decodes teach nothing about acceptance: drift back to the prior, so that a policy
      // that stopped drafting tries again later (the code being typed changes).
      this.accepted = this.accepted * f + this.priorAccepted * (1 - f);
      this.refused = this.refused * f + this.priorRefused * (1 - f);
    }
    if (Number.isFinite(ms) && ms >= 0) {
      this.w = this.w * f + 1;
      this.sx = this.sx * f + decoded;
      this.sy = this.sy * f + ms;
      this.sxx = this.sxx * f + decoded * decoded;
      this.sxy = this.sxy * f + decoded * ms;
    }
  }
}
