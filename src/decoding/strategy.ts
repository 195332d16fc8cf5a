import type { FinishedText } from './stop-rules';
import type { CandidateTree, TokenStep, TreeJSON } from './candidate-tree';
import type { LanguageModel, PromptState } from './language-model';
import { BOOLEAN, FUNCTION, int, num, type NumberRule, type OptionRules } from './option-rules';

export type { TokenStep };

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
  /** Set where stop rules apply (the editor's, the CLI's): the suggestion shown and where and why the text was cut. */
  readonly shown?: FinishedText;
}

export interface DecodeStats {
  modelCalls: number;
  tokensEvaluated: number;
  ms: number;
  /** Positions whose next-token scores were read: the top token only, and more (benchmarks price them). */
  topOneReads?: number;
  deepReads?: number;
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
  /**
   * Called with a copy of the explored tree as it grows (at most 400 nodes, breadth first), before
   * a model call, at most every 100 ms (so a short search sends none): the panel draws a long
   * search live.
   */
  readonly onSnapshot?: (tree: TreeJSON, elapsedMs: number) => void;
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

export const COMMON_RULES: OptionRules<CommonOptions> = {
  maxTokens: int(1, 100_000),
  seed: int(0, 2 ** 31 - 1),
  alternatives: int(0, 64),
  isComplete: FUNCTION,
  onSnapshot: FUNCTION,
  maxTreeNodes: int(1, 1_000_000),
  timeBudgetMs: num(0, 86_400_000),
  ignoreEndOfGeneration: BOOLEAN,
};

/** What the host needs to know of a strategy without running it. */
export interface StrategyCapabilities {
  /** Compares branches by a value function, so the code-aware value applies to it. */
  readonly takesValue: boolean;
  /** Extends a handed-over prompt branch in place instead of forking it. */
  readonly extendsPrompt: boolean;
  /** Stops at `timeBudgetMs` and returns its best so far. */
  readonly usesTimeBudget: boolean;
}

export interface StrategySettings<O> {
  /**
   * The `tokentree.*` settings a strategy reads, by key without the prefix: each is one of its
   * options (the range is the option's rule, the default its default), or a number of its own
   * that `toOptions` turns into options.
   */
  readonly keys: Readonly<Record<string, (keyof O & string) | { readonly rule: NumberRule; readonly default: number }>>;
  /** Options from the settings' checked values; absent: each setting is the option it names. */
  toOptions?(values: Readonly<Record<string, number>>): Partial<O>;
}

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

/** A strategy and its schema: options with their defaults and rules, settings, capabilities. */
export interface Strategy<O = object> {
  readonly name: StrategyName;
  readonly description: string;
  readonly defaults: O;
  readonly rules: OptionRules<O>;
  readonly settings: StrategySettings<O>;
  readonly capabilities: StrategyCapabilities;
  decode(request: DecodeRequest<O>): Promise<DecodeResult>;
}
