/**
 * What every strategy does to a path of tokens, in one place (after Hugging Face's
 * StoppingCriteria and BeamHypotheses): the record of each step, why a path ends, its Σ and mean
 * log-probability, its length-normalised score, the candidate it becomes, and the ranked result
 * with the candidates marked in the tree.
 */

import { CandidateTree } from '../candidate-tree';
import { Distribution } from '../distribution';
import { entropyLowerBound } from '../entropy-bound';
import type { GeneratedToken, GenerationEnd, LanguageModel } from '../language-model';
import { MeteredModel } from '../metered-model';
import { pathStopped } from '../path-stop';
import type { StopRule } from '../stop-rules';
import type { Candidate, CommonOptions, DecodeRequest, DecodeResult, FinishReason, StrategyName, TokenStep } from '../strategy';

function entropyBound(dist: Distribution): { entropyAtLeast?: number } {
  const bound = entropyLowerBound(dist);
  return bound === undefined ? {} : { entropyAtLeast: bound };
}

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
    ...entropyBound(dist),
    alternatives: alts,
    ...(regime ? { regime } : {}),
  };
}

/** Top tokens a strategy must see per step: what it selects from plus what it records. */
export function topNFor(options: CommonOptions, selects: number): number {
  return Math.max(1, selects, options.alternatives);
}

export function sumLogprob(steps: readonly TokenStep[]): number {
  return steps.reduce((acc, s) => acc + s.logprob, 0);
}

/** Mean log-probability per token; 0 for an empty path. */
export function meanLogprob(steps: readonly TokenStep[]): number {
  return steps.length ? sumLogprob(steps) / steps.length : 0;
}

/** Hugging Face's beam score: Σ log p / length^α (α > 0 favours longer paths). */
export function lengthNormalised(sum: number, length: number, alpha: number): number {
  return sum / Math.pow(length, alpha);
}

/** Whether the caller's stop rule ends the path; it sees the text the user would see. */
export function isStopped(model: LanguageModel, options: CommonOptions, steps: readonly TokenStep[]): boolean {
  const rule = options.isComplete;
  if (rule === undefined) return false;
  // The editor's rules resume from the path's previous step (O(1) a token); any other function sees the whole text.
  if (isStopRule(rule)) return pathStopped(model, rule, steps);
  return rule(model.detokenize(steps.map((s) => s.token)));
}

const isStopRule = (f: (text: string) => boolean): f is StopRule => typeof (f as Partial<StopRule>).scan === 'function';

/** Why a path that has just taken a step ends: the stop rule, then the token limit; undefined: it goes on. */
export function endAfterStep(model: LanguageModel, options: CommonOptions, steps: readonly TokenStep[]): 'stop' | 'length' | undefined {
  if (isStopped(model, options, steps)) return 'stop';
  return steps.length >= options.maxTokens ? 'length' : undefined;
}

export function makeCandidate(model: LanguageModel, steps: readonly TokenStep[], finish: FinishReason, score?: number, extra?: Partial<Candidate>): Candidate {
  const tokens = steps.map((s) => s.token);
  const sum = sumLogprob(steps);
  const mean = steps.length ? sum / steps.length : 0;
  return { text: model.detokenize(tokens), tokens, steps, sumLogprob: sum, meanLogprob: mean, score: score ?? mean, finish, ...extra };
}

/** At most one snapshot of the growing tree per this many ms (see CommonOptions.onSnapshot). */
const SNAPSHOT_EVERY_MS = 100;
/** Nodes a snapshot carries at most: what the panel draws, so a 2,000-node search sends a fraction. */
const SNAPSHOT_MAX_NODES = 400;

/**
 * A strategy's decode from its body: the body runs on a metered model (every branch it forks
 * released whatever happens) and a fresh tree, and its candidates come back ranked by score,
 * identical texts merged (keeping the better), the tree marked.
 */
export function meteredDecode<O>(
  strategy: StrategyName, body: (request: DecodeRequest<O>, m: MeteredModel, tree: CandidateTree) => Promise<Candidate[]>,
): (request: DecodeRequest<O>) => Promise<DecodeResult> {
  return async (request) => {
    const tree = new CandidateTree(request.options.maxTreeNodes);
    const m = new MeteredModel(request.model, request.signal, request.promptHandedOver ? request.prompt.branch : undefined);
    const { onSnapshot } = request.options;
    if (onSnapshot) {
      let last = 0;
      m.beforeCall = () => {
        const now = m.elapsed();
        if (now - last < SNAPSHOT_EVERY_MS) return;
        last = now;
        onSnapshot(tree.copy(SNAPSHOT_MAX_NODES), now);
      };
    }
    let candidates: Candidate[];
    try {
      candidates = await body(request, m, tree);
    } finally {
      m.finish();
    }
    const byText = new Map<string, Candidate>();
    for (const c of candidates) {
      const seen = byText.get(c.text);
      if (!seen || c.score > seen.score) byText.set(c.text, c);
    }
    const ranked = [...byText.values()].sort((a, b) => b.score - a.score);
    ranked.forEach((c, rank) => tree.markCandidate(c.tokens, rank));
    return { strategy, candidates: ranked, tree, stats: m.stats };
  };
}

/** The best `width` finished paths of a beam search, by length-normalised score (HF's BeamHypotheses). */
export class Hypotheses {
  readonly best: { readonly steps: TokenStep[]; readonly score: number; readonly finish: FinishReason }[] = [];

  constructor(private readonly width: number, private readonly alpha: number) {}

  /** A finished path of `length` tokens scored (EOS counted, as Hugging Face does). */
  add(steps: TokenStep[], sum: number, length: number, finish: FinishReason): void {
    this.best.push({ steps, score: lengthNormalised(sum, length, this.alpha), finish });
    this.best.sort((a, b) => b.score - a.score);
    if (this.best.length > this.width) this.best.pop();
  }

  /**
   * Hugging Face's stopping rule. early_stopping true: `width` finished paths suffice. false:
   * stop when the worst finished score beats the best running sum normalised at the current
   * length. 'never': compare with the best score a running path could still reach, which for
   * α > 0 (negative sums shrink with length) is at the maximum length.
   */
  /**
   * Whether a running path with this Σ log p (and `length` tokens) could still become one of the
   * best: false once `width` paths have finished and the best score it could reach is below the
   * worst of them. Exact, so dropping such a path changes no result: its sum only falls as it
   * grows, and for α > 0 the best it could reach is at the maximum length.
   */
  canStillEnter(sum: number, length: number, maxLength: number): boolean {
    if (this.best.length < this.width) return true;
    return lengthNormalised(sum, this.alpha > 0 ? maxLength : length, this.alpha) >= this.best[this.best.length - 1]!.score;
  }

  isDone(runningSums: readonly number[], length: number, maxLength: number, earlyStopping: boolean | 'never'): boolean {
    if (runningSums.length === 0) return true;
    if (this.best.length < this.width) return false;
    if (earlyStopping === true) return true;
    const best = Math.max(...runningSums);
    const worst = this.best[this.best.length - 1]!.score;
    return worst >= lengthNormalised(best, earlyStopping === 'never' && this.alpha > 0 ? maxLength : length, this.alpha);
  }
}

/**
 * The rest of a path from the backend's own generation (a server's): the same rules per token as
 * a strategy's own loop (end of generation, stop rule, token limit, time budget); leaving early
 * stops the backend. Appends to `steps` and returns why the path ended.
 */
export async function followGeneration(
  stream: AsyncGenerator<GeneratedToken, GenerationEnd>, model: LanguageModel, options: CommonOptions, steps: TokenStep[], topN: number, outOfTime: () => boolean,
): Promise<FinishReason> {
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value === 'end-of-generation' ? 'eog' : 'length';
    const { token, scores } = next.value;
    let finish: FinishReason | undefined;
    if (model.isEndOfGeneration(token) && !options.ignoreEndOfGeneration) finish = 'eog';
    else {
      steps.push(describeStep(model, Distribution.fromScores(scores, topN), token, options.alternatives));
      finish = endAfterStep(model, options, steps) ?? (outOfTime() ? 'budget' : undefined);
    }
    if (finish) {
      await stream.return('length');
      return finish;
    }
  }
}
