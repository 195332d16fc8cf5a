import { decode } from '../decoding/strategies';
import type { CompletionResult } from '../decoding/completion';
import type { PromptParts } from '../decoding/prompt-parts';
import type { CommonOptions, StrategyName } from '../decoding/strategy';
import type { LoadedModel, PromptOptions } from './load';

export type { CompletionResult };

export interface CompletionRequest {
  /** The text around the cursor (partsFromText() cuts a prefix and suffix as the editor does). */
  readonly parts: PromptParts;
  readonly strategy: StrategyName;
  readonly options?: Partial<CommonOptions> & Record<string, unknown>;
  readonly signal?: AbortSignal;
  readonly layout?: PromptOptions['layout'];
  /** Work the user is not waiting for (a prefetch): it keeps the foreground's cached prompt usable. */
  readonly background?: boolean;
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
  const prompt = loaded.buildPrompt(request.parts, { maxNewTokens: maxTokens, layout: request.layout });
  const state = await loaded.languageModel.start(prompt.tokens, FIRST_STEP_TOP_N, request.signal, { background: request.background });
  try {
    // The prompt's branch is released right after, so the strategy may extend it in place.
    const result = await decode(request.strategy, loaded.languageModel, state, { ...request.options, maxTokens }, request.signal, true);
    return {
      ...result,
      fim: prompt.fim,
      promptTokens: prompt.tokens.length,
      promptTokensEvaluated: state.evaluated ?? prompt.tokens.length,
      promptTokensShifted: state.shifted ?? 0,
      topLine: prompt.topLine,
    };
  } finally {
    loaded.languageModel.release(state.branch);
  }
}

/**
 * Brings the model's cache to the prompt at a cursor without generating: the exact state an
 * evaluation from scratch gives (no shifted stretch), in a slot of its own so the foreground's
 * cached prompt stays usable until this one is ready. Cancelling it keeps what was evaluated.
 */
export async function warmAt(loaded: LoadedModel, parts: PromptParts, maxNewTokens: number, signal?: AbortSignal): Promise<{ promptTokens: number; evaluated: number }> {
  const { tokens } = loaded.buildPrompt(parts, { maxNewTokens });
  const state = await loaded.languageModel.start(tokens, 1, signal, { background: true, exact: true });
  loaded.languageModel.release(state.branch);
  return { promptTokens: tokens.length, evaluated: state.evaluated ?? tokens.length };
}
