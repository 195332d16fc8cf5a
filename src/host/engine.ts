import type { CompletionResult } from '../decoding/completion';
import { completeAt } from '../model/complete';
import type { CompletionEngine, EngineRequest } from '../providers/completion-controller';
import type { ModelHost } from './model-host';
import { readStrategy, readStrategyOptions } from './settings';

/** The editor's engine: the configured strategy and its settings over the loaded model. */
export class EditorEngine implements CompletionEngine {
  constructor(private readonly models: ModelHost) {}

  async complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult> {
    const model = await this.models.get();
    const strategy = readStrategy();
    return completeAt(model, {
      prefix: request.prefix,
      suffix: request.suffix,
      strategy,
      options: { ...readStrategyOptions(strategy), isComplete: request.isComplete, timeBudgetMs: request.timeBudgetMs, maxMs: request.timeBudgetMs },
      signal,
    });
  }
}
