import { decode } from '../decoding/strategies';
import type { CompletionResult } from '../decoding/completion';
import type { CommonOptions, StrategyName } from '../decoding/strategy';
import type { LoadedModel } from './load';

export type { CompletionResult };

export interface CompletionRequest {
  readonly prefix: string;
  readonly suffix: string;
  readonly strategy: StrategyName;
  readonly options?: Partial<CommonOptions> & Record<string, unknown>;
  readonly signal?: AbortSignal;
}


/** Tokens the first step must list: enough for every strategy's widest selection. */
const FIRST_STEP_TOP_N = 64;

/**
 * One completion at a cursor: the FIM (or prefix-only) prompt, evaluated with prefix reuse
 * against the previous request, then the chosen strategy. The one path the CLI, the
 * benchmarks and the editor share.
 */
export async function completeAt(loaded: LoadedModel, request: CompletionRequest): Promise<CompletionResult> {
  const maxTokens = request.options?.maxTokens ?? 32;
  const prompt = loaded.buildPrompt(request.prefix, request.suffix, { maxNewTokens: maxTokens });
  const state = await loaded.languageModel.start(prompt.tokens, FIRST_STEP_TOP_N, request.signal);
  try {
    // The prompt's branch is released right after, so the strategy may extend it in place.
    const result = await decode(request.strategy, loaded.languageModel, state, { ...request.options, maxTokens }, request.signal, true);
    return { ...result, fim: prompt.fim, promptTokens: prompt.tokens.length };
  } finally {
    loaded.languageModel.release(state.branch);
  }
}
