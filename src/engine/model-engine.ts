import type { CompletionResult } from '../decoding/completion';
import type { StrategyName } from '../decoding/strategy';
import type { PromptOptions } from '../model/load';
import type { CompletionEngine, EngineRequest } from '../providers/completion-controller';
import type { ModelSession } from './session';

export interface EngineSettings {
  readonly strategy: StrategyName;
  /** The strategy's options (maxTokens among them). */
  readonly options: Readonly<Record<string, unknown>>;
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
    const { strategy, options, codeAwareWeight } = this.settings();
    return session.complete({
      parts: request.parts,
      strategy,
      options: { ...options, timeBudgetMs: request.timeBudgetMs },
      stop: request.stop,
      codeAware: { weight: codeAwareWeight, languageId: request.languageId },
      layout: this.layout,
      background: request.background,
    }, signal);
  }

  async warm(request: EngineRequest, signal: AbortSignal): Promise<void> {
    if (this.layout === 'legacy') return;
    const session = await this.session();
    await session.warm(request.parts, Number(this.settings().options.maxTokens ?? 32), signal);
  }
}
