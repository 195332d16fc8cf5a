import type { TreeJSON } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import type { StrategyName } from '../decoding/strategy';
import { strategyOf, type StrategyCall } from '../decoding/strategies';
import type { PromptOptions } from '../model/load';
import type { CompletionEngine, EngineRequest } from '../providers/completion-controller';
import type { FirstListener, ModelSession } from './session';

export interface EngineSettings {
  /** The strategy and its options (maxTokens among them). */
  readonly call: StrategyCall;
  /** Weight of the code-aware value for MCTS and entropy branching; 0 turns it off. */
  readonly codeAwareWeight: number;
  /** Token healing (default on). */
  readonly tokenHealing?: boolean;
}

/**
 * The completion controller's engine over a model session: the configured strategy at the
 * request's cursor. The editor and the CLI's typing replay both use it, so both run the same
 * prompt layout, cache and strategy options.
 */
/** Where the growing tree of a search the user waits for goes (the panel, when it is open). */
export interface SnapshotSink {
  wanted(): boolean;
  show(strategy: StrategyName, tree: TreeJSON, elapsedMs: number): void;
}

export class ModelEngine implements CompletionEngine {
  constructor(
    private readonly session: () => Promise<ModelSession>,
    private readonly settings: () => EngineSettings,
    private readonly layout: PromptOptions['layout'] = 'stable',
    private readonly snapshots?: SnapshotSink,
  ) {}

  complete(request: EngineRequest, signal: AbortSignal, onFirst?: FirstListener): Promise<CompletionResult> {
    return this.completeWith(this.settings().call, request, signal, true, onFirst);
  }

  /**
   * A completion with a strategy of the caller's choosing (Compare Strategies Here runs each),
   * otherwise as the editor's: the same prompt layout, stop rules and code-aware value.
   * `timeBudgetMs` absent: the strategy runs to its end. `watched`: the panel may draw it live.
   */
  async completeWith(call: StrategyCall, request: Omit<EngineRequest, 'timeBudgetMs'> & { timeBudgetMs?: number }, signal: AbortSignal, watched = false, onFirst?: FirstListener): Promise<CompletionResult> {
    const session = await this.session();
    const { codeAwareWeight, tokenHealing } = this.settings();
    const budget = request.timeBudgetMs !== undefined && strategyOf(call.name).capabilities.usesTimeBudget ? { timeBudgetMs: request.timeBudgetMs } : {};
    // Greedy has nothing to refine: it runs as it always has, at no extra cost.
    const anytime = onFirst && request.firstSuggestionMs !== undefined && call.name !== 'greedy' && !request.background;
    const sink = this.snapshots;
    // Only a search someone watches sends its tree: background work and a closed panel cost nothing.
    const onSnapshot = sink && watched && !request.background && sink.wanted() ? (tree: TreeJSON, ms: number) => sink.show(call.name, tree, ms) : undefined;
    // The panel's per-token alternatives are read only while it is on screen: the editor's default
    // path shows none, and without them greedy reads one number per position (its argmax's
    // log-probability) instead of a top list. Compare Strategies Here always shows its panel.
    const alternatives = sink && (watched || request.background) && call.options?.alternatives === undefined && !sink.wanted() ? { alternatives: 0 } : {};
    return session.complete({
      parts: request.parts,
      strategy: call.name,
      options: { ...call.options, ...alternatives, ...budget },
      stop: request.stop,
      codeAware: { weight: codeAwareWeight, languageId: request.languageId },
      layout: this.layout,
      background: request.background,
      healing: tokenHealing,
      ...(anytime ? { firstSuggestionMs: request.firstSuggestionMs } : {}),
    }, signal, onSnapshot, anytime ? onFirst : undefined);
  }

  async warm(request: EngineRequest, signal: AbortSignal): Promise<void> {
    if (this.layout === 'legacy') return;
    const session = await this.session();
    await session.warm(request.parts, this.settings().call.options?.maxTokens ?? 32, signal);
  }
}
