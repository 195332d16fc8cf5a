import type { TreeJSON } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import { textBeforeCursor, type PromptParts } from '../decoding/prompt-parts';
import { parseStrategyCall, strategyOf } from '../decoding/strategies';
import type { Candidate, StrategyName } from '../decoding/strategy';
import { bracketOracle, syntaxAwareValue } from '../decoding/value';
import { completeAt, warmAt, type CursorCompletion } from './complete';
import type { BackendStats } from '../model/backend-stats';
import type { ModelInfo, PromptOptions } from '../model/load';
import type { CompletionBackend } from '../model/backend';
import { finishCandidate, isCompleteFor, type StopContext } from '../decoding/stop-rules';
import { typescriptOracle } from '../syntax/typescript-oracle';

/**
 * A completion request as plain data, so that it can cross a process boundary: the stop rules
 * and the code-aware value are described, and built into functions where the model runs.
 */
export interface SessionRequest {
  readonly parts: PromptParts;
  readonly strategy: StrategyName;
  /** The strategy's options (numbers, strings and sampler chains; no functions). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The editor's stop rules at the cursor; absent: generate until maxTokens or end of generation. */
  readonly stop?: StopContext;
  /** Weight and language of the code-aware value for strategies that compare branches. */
  readonly codeAware?: { readonly weight: number; readonly languageId: string };
  readonly layout?: PromptOptions['layout'];
  readonly background?: boolean;
  /** Token healing (default on). */
  readonly healing?: boolean;
  /** Anytime completion (a strategy other than greedy): greedy's suggestion first, within this many ms, to the `onFirst` listener. */
  readonly firstSuggestionMs?: number;
}

/** The first suggestion of an anytime completion (stop rules applied as to the result). */
export type FirstListener = (result: CompletionResult) => void;

/** The growing tree of a search in progress (CommonOptions.onSnapshot), for the panel. */
export type SnapshotListener = (tree: TreeJSON, elapsedMs: number) => void;

export interface WarmResult {
  readonly promptTokens: number;
  readonly evaluated: number;
}

/** A loaded model as the editor and the CLI use it: in this process, or in a model process. */
export interface ModelSession {
  readonly info: ModelInfo;
  /** `onSnapshot`: the tree while the search runs, at most every 100 ms (none for a short search). */
  complete(request: SessionRequest, signal?: AbortSignal, onSnapshot?: SnapshotListener, onFirst?: FirstListener): Promise<CompletionResult>;
  warm(parts: PromptParts, maxNewTokens: number, signal?: AbortSignal): Promise<WarmResult>;
  /** A request follows within milliseconds: a session in another process wakes it now (none needed in process). */
  wake?(): void;
  stats(): Promise<BackendStats>;
  dispose(): Promise<void>;
}

/**
 * Runs a session request on a model in this process: what the model process does with each one.
 * The options arrive as data, so they are checked against the strategy's schema first.
 */
export async function completeRequest(loaded: CompletionBackend, request: SessionRequest, signal?: AbortSignal, onSnapshot?: SnapshotListener, onFirst?: FirstListener): Promise<CompletionResult> {
  const { parts, codeAware, stop } = request;
  const call = parseStrategyCall(request.strategy, request.options);
  const value = codeAware && codeAware.weight > 0 && strategyOf(call.name).capabilities.takesValue
    ? syntaxAwareValue(typescriptOracle(codeAware.languageId) ?? bracketOracle, textBeforeCursor(parts), parts.suffix, codeAware.weight)
    : undefined;
  const result = await completeAt(loaded, {
    parts,
    strategy: call.name,
    options: { ...call.options, ...(stop ? { isComplete: isCompleteFor(stop) } : {}), ...(value ? { value } : {}), ...(onSnapshot ? { onSnapshot } : {}) },
    signal,
    layout: request.layout,
    background: request.background,
    healing: request.healing,
    ...(onFirst && request.firstSuggestionMs !== undefined
      ? { first: { ms: request.firstSuggestionMs, onFirst: (r: CompletionResult) => onFirst(stop ? withStopRules(r, stop) : r) } }
      : {}),
  } as CursorCompletion);
  return stop ? withStopRules(result, stop) : result;
}

/**
 * Every candidate as the editor would show it (`shown`: cut, and why); a candidate that is
 * nothing but the text after the cursor moves to `dropped`, so no consumer offers it.
 */
export function withStopRules(result: CompletionResult, stop: StopContext): CompletionResult {
  const candidates: Candidate[] = [];
  const dropped: Candidate[] = [];
  for (const c of result.candidates) {
    const shown = finishCandidate(c.text, stop);
    (shown.text === '' && shown.reason === 'repeats-suffix' ? dropped : candidates).push({ ...c, shown });
  }
  return { ...result, candidates, ...(dropped.length ? { dropped } : {}) };
}

/** A session over a model loaded in this process (tests, benchmarks, the CLI's typing replay). */
export function localSession(loaded: CompletionBackend): ModelSession {
  return {
    info: loaded.info,
    complete: (request, signal, onSnapshot, onFirst) => completeRequest(loaded, request, signal, onSnapshot, onFirst),
    warm: (parts, maxNewTokens, signal) => warmAt(loaded, parts, maxNewTokens, signal),
    stats: async () => ({ ...loaded.stats }),
    dispose: () => loaded.dispose(),
  };
}
