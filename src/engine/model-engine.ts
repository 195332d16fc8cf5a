import type { CompletionResult } from '../decoding/completion';
import { textBeforeCursor } from '../decoding/prompt-parts';
import type { StrategyName } from '../decoding/strategy';
import { bracketOracle, syntaxAwareValue } from '../decoding/syntax-value';
import { completeAt, warmAt } from '../model/complete';
import type { LoadedModel, PromptOptions } from '../model/load';
import type { CompletionEngine, EngineRequest } from '../providers/completion-controller';
import { typescriptOracle } from '../syntax/typescript-oracle';

export interface EngineSettings {
  readonly strategy: StrategyName;
  /** The strategy's options (maxTokens among them). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Weight of the code-aware value for MCTS and entropy branching; 0 turns it off. */
  readonly codeAwareWeight: number;
}

/**
 * The completion controller's engine over a loaded model: the configured strategy at the
 * request's cursor. The editor and the CLI's typing replay both use it, so both run the same
 * prompt layout, cache and strategy options.
 */
export class ModelEngine implements CompletionEngine {
  constructor(
    private readonly model: () => Promise<LoadedModel>,
    private readonly settings: () => EngineSettings,
    private readonly layout: PromptOptions['layout'] = 'stable',
  ) {}

  async complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult> {
    const model = await this.model();
    const { strategy, options, codeAwareWeight } = this.settings();
    // The code-aware value (syntax errors a branch adds) only matters where branches are compared.
    const value = codeAwareWeight > 0 && (strategy === 'mcts' || strategy === 'entropy')
      ? syntaxAwareValue(typescriptOracle(request.languageId) ?? bracketOracle, textBeforeCursor(request.parts), request.parts.suffix, codeAwareWeight)
      : undefined;
    return completeAt(model, {
      parts: request.parts,
      strategy,
      options: { ...options, isComplete: request.isComplete, timeBudgetMs: request.timeBudgetMs, maxMs: request.timeBudgetMs, ...(value ? { value } : {}) },
      signal,
      layout: this.layout,
      background: request.background,
    });
  }

  async warm(request: EngineRequest, signal: AbortSignal): Promise<void> {
    if (this.layout === 'legacy') return;
    const model = await this.model();
    await warmAt(model, request.parts, Number(this.settings().options.maxTokens ?? 32), signal);
  }
}
