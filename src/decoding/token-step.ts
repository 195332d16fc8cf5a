/** One generated token, with what the panel needs to show where the model was unsure. */
export interface TokenStep {
  readonly token: number;
  readonly text: string;
  /** Log-probability under the model's unmodified distribution (nats). */
  readonly logprob: number;
  /** Entropy of the step's distribution (nats); over the returned slice for top-N backends. */
  readonly entropy: number;
  readonly varentropy: number;
  /** The most likely tokens at this step, most likely first (the chosen one may be among them). */
  readonly alternatives: readonly { token: number; text: string; logprob: number }[];
  /** Entropy-adaptive strategy only: the regime that picked this token. */
  readonly regime?: string;
}
