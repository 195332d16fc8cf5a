import type { CompletionResult } from '../decoding/completion';
import { bracketOracle, syntaxAwareValue } from '../decoding/syntax-value';
import { typescriptOracle } from '../syntax/typescript-oracle';
import { completeAt } from '../model/complete';
import type { CompletionEngine, EngineRequest } from '../providers/completion-controller';
import type { ModelHost } from './model-host';
import { readCodeAwareValue, readStrategy, readStrategyOptions } from './settings';

/** The editor's engine: the configured strategy and its settings over the loaded model. */
export class EditorEngine implements CompletionEngine {
  constructor(private readonly models: ModelHost) {}

  async complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult> {
    const model = await this.models.get();
    const strategy = readStrategy();
    // The code-aware value (syntax errors a branch adds) only matters where branches are compared.
    const weight = readCodeAwareValue();
    const value =
      weight > 0 && (strategy === 'mcts' || strategy === 'entropy')
        ? syntaxAwareValue(typescriptOracle(request.languageId) ?? bracketOracle, request.prefix, request.suffix, weight)
        : undefined;
    return completeAt(model, {
      prefix: request.prefix,
      suffix: request.suffix,
      strategy,
      options: { ...readStrategyOptions(strategy), isComplete: request.isComplete, timeBudgetMs: request.timeBudgetMs, maxMs: request.timeBudgetMs, ...(value ? { value } : {}) },
      signal,
    });
  }
}
