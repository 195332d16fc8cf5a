import type { CompletionResult } from '../decoding/completion';
import type { LineSource, PromptParts } from '../decoding/prompt-parts';
import type { StopContext } from '../decoding/stop-rules';
import type { Refinement } from './refinement';
import type { DefinitionSource } from './definition-snapshots';
import type { GateCalibration } from '../decoding/gate/predictor';
import type { GateDecision } from './gate-policy';

/** The completion controller's contracts: its engine, its requests and suggestions, its events and options. */

/** What the controller needs from the model side (the real one wraps completeAt). */
export interface CompletionEngine {
  /** `onFirst`: for an anytime completion (request.firstSuggestionMs), greedy's suggestion before the strategy's result. */
  complete(request: EngineRequest, signal: AbortSignal, onFirst?: (result: CompletionResult) => void): Promise<CompletionResult>;
  /** Brings the model's cache to the request's prompt as a fresh evaluation would, without generating. */
  warm(request: EngineRequest, signal: AbortSignal): Promise<void>;
}

export interface EngineRequest {
  readonly parts: PromptParts;
  readonly languageId: string;
  /** The stop rules at the cursor (the engine builds them where the model runs). */
  readonly stop: StopContext;
  readonly timeBudgetMs: number;
  /** Work the user is not waiting for (a prefetch, warming the cache). */
  readonly background: boolean;
  /** Anytime completion: a first suggestion within this many ms, then the strategy's own. */
  readonly firstSuggestionMs?: number;
}

/** A request for suggestions at a cursor, from the editor or the CLI's typing replay. */
export interface CursorRequest {
  readonly documentKey: string;
  readonly languageId: string;
  /** The document's lines as they are now. */
  readonly document: LineSource;
  /** 0-based cursor position. */
  readonly line: number;
  readonly character: number;
  /** The file's path in its workspace and the workspace's name, for models with a repository-level format. */
  readonly path?: string;
  readonly repo?: string;
  /** Typing triggered it (as opposed to an explicit request). */
  readonly automatic: boolean;
  /** The document's version, which a refinement must still find (see ControllerOptions.where). */
  readonly version?: number;
  /**
   * The editor's cursor, where the completion is asked for elsewhere: after the suggest widget's
   * selected item (selected-item.ts). A refinement must still find the cursor here. `lead`: what
   * the item inserts at the cursor, where it only inserts.
   */
  readonly cursor?: { readonly line: number; readonly character: number; readonly lead?: string };
  /** Registers a callback for the editor's own cancellation. */
  readonly onCancel?: (listener: () => void) => void;
}

export interface Suggestion {
  readonly text: string;
  /** Index of the engine candidate it came from (for the panel). */
  readonly candidate: number;
  readonly result?: CompletionResult;
  /** The gate's verdict (absent: nothing gates); a suppressed suggestion is kept for the panel, not shown inline. */
  readonly gate?: GateDecision;
}

export interface ControllerEvents {
  onResult?(request: CursorRequest, result: CompletionResult, suggestions: readonly Suggestion[]): void;
  /** The first suggestion of an anytime completion is shown; the search goes on. */
  onFirst?(request: CursorRequest, result: CompletionResult, suggestions: readonly Suggestion[]): void;
  /** The search behind a first suggestion ended (`replaced`: the editor should ask again, the cache has the new one). */
  onRefined?(refinement: Refinement): void;
  /** The search behind a first suggestion was cancelled (typing) or failed: the first suggestion stays. */
  onRefineCancelled?(request: CursorRequest): void;
  onError?(error: unknown): void;
}

export interface ControllerOptions {
  /** Where declarations of the names at the cursor come from; absent: none. */
  readonly definitions?: DefinitionSource;
  /** Quiet time after the last request before the cache is brought up to date. */
  readonly idleMs?: number;
  /** Lines per block of the prompt window (prompt-parts.ts); 1 approximates the window before blocks, for measurements. */
  readonly blockLines?: number;
  /**
   * Quiet time after a suggestion is shown before the one that follows it is prefetched: a user
   * who types on does not need it, and cancelling it would make the next keystroke wait.
   */
  readonly prefetchDelayMs?: number;
  /**
   * Where the user is now in a document (undefined: not in it), for a refinement to replace the
   * ghost text only where it was made; absent: always there (the CLI waits for every result).
   */
  readonly where?: (documentKey: string) => { readonly version?: number; readonly line: number; readonly character: number } | undefined;
  /** The gate's calibration for the model in use (absent or undefined: nothing gates). */
  readonly calibration?: () => GateCalibration | undefined;
}
