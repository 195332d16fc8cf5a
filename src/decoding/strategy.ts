import type { CandidateTree } from './candidate-tree';
import type { TokenStep } from './token-step';

export type { TokenStep };
import type { LanguageModel, PromptState } from './language-model';

export type StrategyName = 'greedy' | 'top-p' | 'min-p' | 'entropy' | 'beam' | 'mcts';

export type FinishReason = 'eog' | 'length' | 'stop' | 'budget';

export interface Candidate {
  readonly text: string;
  readonly tokens: readonly number[];
  readonly steps: readonly TokenStep[];
  readonly sumLogprob: number;
  readonly meanLogprob: number;
  /** The strategy's ranking score (higher is better); what it is depends on the strategy. */
  readonly score: number;
  readonly finish: FinishReason;
  /** MCTS: visits of the candidate's first token at the root and its mean value. */
  readonly visits?: number;
  readonly value?: number;
}

export interface DecodeStats {
  modelCalls: number;
  tokensEvaluated: number;
  ms: number;
}

export interface DecodeResult {
  readonly strategy: StrategyName;
  /** Best first. */
  readonly candidates: readonly Candidate[];
  readonly tree: CandidateTree;
  readonly stats: DecodeStats;
}

/** Options every strategy understands. */
export interface CommonOptions {
  /** Most tokens to generate. */
  readonly maxTokens: number;
  readonly seed: number;
  /** How many alternatives to record per step for the panel. */
  readonly alternatives: number;
  /**
   * Called with a candidate's text after each token: true ends that candidate (stop rules
   * such as "end of line" live in the caller, not in the strategies).
   */
  readonly isComplete?: (text: string) => boolean;
  /** Most nodes the candidate tree keeps. */
  readonly maxTreeNodes: number;
  /**
   * Milliseconds after which a strategy stops extending its candidates and returns what it
   * has (finish reason 'budget'), so a slow model cannot stall typing.
   */
  readonly timeBudgetMs?: number;
  /** Greedy only, for benchmarks (as llama.cpp's ignore_eos): generate maxTokens tokens regardless. */
  readonly ignoreEndOfGeneration?: boolean;
}

export const COMMON_DEFAULTS: CommonOptions = { maxTokens: 64, seed: 0, alternatives: 5, maxTreeNodes: 2000 };

export interface DecodeRequest<O> {
  readonly model: LanguageModel;
  readonly prompt: PromptState;
  readonly options: CommonOptions & O;
  readonly signal?: AbortSignal;
  /**
   * The caller hands `prompt.branch` over: it will only release it afterwards, so the strategy
   * may extend it in place instead of forking it (see MeteredModel.adopt).
   */
  readonly promptHandedOver?: boolean;
}

export interface Strategy<O = object> {
  readonly name: StrategyName;
  readonly description: string;
  readonly defaults: O;
  decode(request: DecodeRequest<O>): Promise<DecodeResult>;
}
