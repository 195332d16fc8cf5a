import type { CompletionResult } from '../decoding/completion';
import { strategyOf, type StrategyCall } from '../decoding/strategies';
import type { PromptOptions } from '../model/load';
import type { CompletionEngine, EngineRequest } from '../providers/completion-controller';
import type { ModelSession } from './session';

export interface EngineSettings {
  /** The strategy and its options (maxTokens among them). */
  readonly call: StrategyCall;
  /** Weight of the code-aware value for MCTS and entropy branching; 0 turns it off. */
  readonly codeAwareWeight: number;
}

/**
 * The completion controller's engine over a model session: the configured strategy at the
 * request's cursor. The editor and the CLI's typing replay both use it, so both run the same
 * prompt layout, cache and strategy options.
 */
export class ModelEngine implements CompletionEngine {
  constructor(
    private readonly session: () => Promise<ModelSession>,
    private readonly settings: () => EngineSettings,
    private readonly layout: PromptOptions['layout'] = 'stable',
  ) {}

  async complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult> {
    const session = await this.session();
    const { call, codeAwareWeight } = this.settings();
    return session.complete({
      parts: request.parts,
      strategy: call.name,
      options: { ...call.options, ...(strategyOf(call.name).capabilities.usesTimeBudget ? { timeBudgetMs: request.timeBudgetMs } : {}) },
      stop: request.stop,
      codeAware: { weight: codeAwareWeight, languageId: request.languageId },
      layout: this.layout,
      background: request.background,
    }, signal);
  }

  async warm(request: EngineRequest, signal: AbortSignal): Promise<void> {
    if (this.layout === 'legacy') return;
    const session = await this.session();
    await session.warm(request.parts, this.settings().call.options?.maxTokens ?? 32, signal);
  }
}
