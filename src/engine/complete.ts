import { decode, type StrategyCall, type StrategyOptions } from '../decoding/strategies';
import type { CompletionResult } from '../decoding/completion';
import type { PromptParts } from '../decoding/prompt-parts';
import type { CommonOptions, DecodeResult, StrategyName } from '../decoding/strategy';
import type { PromptOptions } from '../model/load';
import type { CompletionBackend } from '../model/backend';
import type { LanguageModel } from '../decoding/language-model';
import { HealingModel } from '../decoding/token-healing';
import { PathMemo } from '../decoding/shared-path';

export type { CompletionResult };

/** A strategy by name with options of its kind (the `decode` call, spelled for requests). */
export type StrategyRequest = { [N in StrategyName]: { readonly strategy: N; readonly options?: StrategyOptions<N> } }[StrategyName];

/** A completion at a cursor: the text around it, the strategy and its options. */
export type CursorCompletion = StrategyRequest & {
  /** The text around the cursor (partsFromText() cuts a prefix and suffix as the editor does). */
  readonly parts: PromptParts;
  readonly signal?: AbortSignal;
  readonly layout?: PromptOptions['layout'];
  /** Work the user is not waiting for (a prefetch): it keeps the foreground's cached prompt usable, and gives way to foreground requests. */
  readonly background?: boolean;
  /** Token healing (on unless false): re-type the prompt's last token so a cursor inside a word continues it. */
  readonly healing?: boolean;
  /**
   * Anytime completion, for a strategy other than greedy: greedy's suggestion is handed to
   * `onFirst` within `ms` of the request (cut there if need be), then the strategy runs on the
   * same prompt, reading greedy's path from what greedy evaluated instead of evaluating it again.
   */
  readonly first?: { readonly ms: number; readonly onFirst: (result: CompletionResult) => void };
};

/** Tokens the first step must list: enough for every strategy's widest selection. */
const FIRST_STEP_TOP_N = 64;

/**
 * Most tokens a completion may generate in a context of `contextSize` tokens: the rest is kept
 * for the prompt (a quarter of the context, and 64 tokens where the context has room for it),
 * so a large maxTokens shortens the completion instead of leaving no room for the text before
 * the cursor.
 */
export function maxCompletionTokens(contextSize: number): number {
  const promptRoom = Math.max(Math.min(64, Math.floor(contextSize / 2)), Math.floor(contextSize / 4));
  return Math.max(1, contextSize - 1 - promptRoom);
}

/**
 * One completion at a cursor: the FIM (or prefix-only) prompt, evaluated with prefix reuse
 * against the previous request, then the chosen strategy. The one path the CLI, the
 * benchmarks and the editor share. Requests take turns (scheduler.ts): a foreground request
 * waits for the one before it and cancels background work.
 */
export function completeAt(loaded: CompletionBackend, request: CursorCompletion): Promise<CompletionResult> {
  return loaded.scheduler.run(request.background ? 'background' : 'foreground', request.signal, (signal) => completeNow(loaded, request, signal));
}

async function completeNow(loaded: CompletionBackend, request: CursorCompletion, signal: AbortSignal): Promise<CompletionResult> {
  const began = performance.now();
  const asked = request.options?.maxTokens ?? 32;
  const maxTokens = Math.min(asked, maxCompletionTokens(loaded.info.contextSize));
  const prompt = await loaded.preparePrompt(request.parts, { maxNewTokens: maxTokens, layout: request.layout }, signal);
  const removed = request.healing === false ? undefined : healableText(loaded.languageModel, prompt.tokens, prompt.middleTokens ?? 0);
  const healing = removed === undefined ? undefined : new HealingModel(loaded.languageModel, removed);
  const model: LanguageModel = healing ?? loaded.languageModel;
  const promptTokens = healing ? prompt.tokens.slice(0, -1) : prompt.tokens;
  const state = await model.start(promptTokens, FIRST_STEP_TOP_N, signal, { background: request.background });
  const finish = (result: DecodeResult, firstMs: number): CompletionResult => {
    const healed = healing?.healed;
    return {
      ...result,
      firstMs,
      ...(healed !== undefined ? { healed } : {}),
      fim: prompt.fim,
      promptTokens: prompt.tokens.length,
      promptTokensEvaluated: state.evaluated ?? prompt.tokens.length,
      promptTokensShifted: state.shifted ?? 0,
      topLine: prompt.topLine,
      ...(maxTokens < asked ? { maxTokensClamped: { asked, used: maxTokens, contextSize: loaded.info.contextSize } } : {}),
    };
  };
  try {
    const options: Partial<CommonOptions> = request.options ?? {};
    let budget = options.timeBudgetMs;
    let search = model;
    let firstMs: number | undefined;
    if (request.first && request.strategy !== 'greedy') {
      const memo = new PathMemo(model, state);
      const deadline = Math.max(0, request.first.ms - (performance.now() - began));
      const shared = Object.fromEntries((['isComplete', 'alternatives', 'maxTreeNodes'] as const).filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
      const first = await decode({ name: 'greedy', options: { ...shared, maxTokens, timeBudgetMs: deadline } }, memo.recording(), state, signal, false);
      firstMs = performance.now() - began;
      request.first.onFirst(finish(first, firstMs));
      search = memo.replaying();
      // The time budget counts from the request, as it does without a first pass.
      if (budget !== undefined) budget = Math.max(0, budget - firstMs);
    }
    const call = { name: request.strategy, options: { ...request.options, maxTokens, ...(budget !== undefined ? { timeBudgetMs: budget } : {}) } } as StrategyCall;
    // The prompt's branch is released right after, so the strategy may extend it in place.
    const result = await decode(call, search, state, signal, true);
    return finish(result, firstMs ?? performance.now() - began);
  } finally {
    model.release(state.branch);
  }
}

/**
 * The text of the prompt's last token when healing can re-type it: it must be text before the
 * cursor (the middle ends the prompt) that a token can spell (not a control token, not part of
 * a UTF-8 character).
 */
function healableText(model: LanguageModel, tokens: readonly number[], middleTokens: number): string | undefined {
  if (middleTokens < 1 || tokens.length < 2) return undefined;
  const text = model.detokenize([tokens[tokens.length - 1]!]);
  return text === '' || text.includes('\uFFFD') ? undefined : text;
}

/**
 * Brings the model's cache to the prompt at a cursor without generating: the exact state an
 * evaluation from scratch gives (no shifted stretch), in a slot of its own so the foreground's
 * cached prompt stays usable until this one is ready. Cancelling it keeps what was evaluated.
 */
export function warmAt(loaded: CompletionBackend, parts: PromptParts, maxNewTokens: number, signal?: AbortSignal): Promise<{ promptTokens: number; evaluated: number }> {
  return loaded.scheduler.run('background', signal, async (turn) => {
    const { tokens } = await loaded.preparePrompt(parts, { maxNewTokens: Math.min(maxNewTokens, maxCompletionTokens(loaded.info.contextSize)) }, turn);
    const state = await loaded.languageModel.start(tokens, 1, turn, { background: true, exact: true });
    loaded.languageModel.release(state.branch);
    return { promptTokens: tokens.length, evaluated: state.evaluated ?? tokens.length };
  });
}
