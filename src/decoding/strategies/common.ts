import { Distribution } from '../distribution';
import type { LanguageModel } from '../language-model';
import type { CommonOptions, TokenStep } from '../strategy';

/** The record of one chosen token, with the step's uncertainty and top alternatives. */
export function describeStep(model: LanguageModel, dist: Distribution, token: number, alternatives: number, regime?: string): TokenStep {
  const alts: { token: number; text: string; logprob: number }[] = [];
  for (let i = 0; i < Math.min(alternatives, dist.size); i++) {
    alts.push({ token: dist.ids[i], text: model.tokenText(dist.ids[i]), logprob: dist.logprobs[i] });
  }
  return {
    token,
    text: model.tokenText(token),
    logprob: dist.logprobOf(token),
    entropy: dist.entropy,
    varentropy: dist.varentropy,
    alternatives: alts,
    ...(regime ? { regime } : {}),
  };
}

/** Top tokens a strategy must see per step: what it selects from plus what it records. */
export function topNFor(options: CommonOptions, selects: number): number {
  return Math.max(1, selects, options.alternatives);
}

export function stepDistribution(scores: Parameters<typeof Distribution.fromScores>[0], topN: number): Distribution {
  return Distribution.fromScores(scores, topN);
}
