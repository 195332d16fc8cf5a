import type { CandidateTree } from '../candidate-tree';
import { Distribution } from '../distribution';
import type { LanguageModel } from '../language-model';
import type { Candidate, CommonOptions, DecodeResult, DecodeStats, FinishReason, StrategyName, TokenStep } from '../strategy';

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

export function makeCandidate(model: LanguageModel, steps: readonly TokenStep[], finish: FinishReason, score?: number, extra?: Partial<Candidate>): Candidate {
  const tokens = steps.map((s) => s.token);
  const sumLogprob = steps.reduce((acc, s) => acc + s.logprob, 0);
  const meanLogprob = steps.length ? sumLogprob / steps.length : 0;
  return { text: model.detokenize(tokens), tokens, steps, sumLogprob, meanLogprob, score: score ?? meanLogprob, finish, ...extra };
}

/** Ranks candidates by score, merges identical texts (keeping the better), marks the tree. */
export function finalize(strategy: StrategyName, candidates: readonly Candidate[], tree: CandidateTree, stats: DecodeStats): DecodeResult {
  const byText = new Map<string, Candidate>();
  for (const c of candidates) {
    const seen = byText.get(c.text);
    if (!seen || c.score > seen.score) byText.set(c.text, c);
  }
  const ranked = [...byText.values()].sort((a, b) => b.score - a.score);
  ranked.forEach((c, rank) => tree.markCandidate(c.tokens, rank));
  return { strategy, candidates: ranked, tree, stats };
}

/** Top tokens a strategy must see per step: what it selects from plus what it records. */
export function topNFor(options: CommonOptions, selects: number): number {
  return Math.max(1, selects, options.alternatives);
}

export function stepDistribution(scores: Parameters<typeof Distribution.fromScores>[0], topN: number): Distribution {
  return Distribution.fromScores(scores, topN);
}

/** Text of a token path; the stop rule sees what the user would see. */
export function isStopped(model: LanguageModel, options: CommonOptions, steps: readonly TokenStep[]): boolean {
  return options.isComplete !== undefined && options.isComplete(model.detokenize(steps.map((s) => s.token)));
}
