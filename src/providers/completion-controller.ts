import type { CompletionResult } from '../decoding/completion';
import { CompletionCache } from './completion-cache';
import { confidentLength, type ConfidenceMode } from './confidence';
import { ContextRing, lineComment } from './context-ring';
import type { RequestGate } from './request-gate';
import { finishCompletion, isCompleteFor, type StopContext } from './stop-rules';

/** What the provider needs from the model side (the real one wraps completeAt). */
export interface CompletionEngine {
  complete(request: EngineRequest, signal: AbortSignal): Promise<CompletionResult>;
}

export interface EngineRequest {
  readonly prefix: string;
  readonly suffix: string;
  readonly languageId: string;
  readonly isComplete: (text: string) => boolean;
  readonly timeBudgetMs: number;
}

export interface ControllerSettings {
  readonly enabled: boolean;
  readonly languages: readonly string[];
  readonly candidates: number;
  readonly autoTriggerMaxLineSuffix: number;
  readonly timeBudgetMs: number;
  readonly otherFiles: boolean;
  readonly contextBudgetChars: number;
  readonly prefixChars: number;
  readonly suffixChars: number;
  readonly confidenceThreshold: number;
  readonly confidenceMode: ConfidenceMode;
}

export interface CompletionRequest extends StopContext {
  readonly documentKey: string;
  readonly languageId: string;
  /** Whole text before the cursor. */
  readonly prefix: string;
  /** Typing triggered it (as opposed to an explicit request). */
  readonly automatic: boolean;
  /** Registers a callback for the editor's own cancellation. */
  readonly onCancel?: (listener: () => void) => void;
}

export interface Suggestion {
  readonly text: string;
  /** Index of the engine candidate it came from (for the panel). */
  readonly candidate: number;
  readonly result?: CompletionResult;
}

export interface ControllerEvents {
  onResult?(request: CompletionRequest, result: CompletionResult, suggestions: readonly Suggestion[]): void;
  onError?(error: unknown): void;
}

/**
 * The inline-completion policy, free of VS Code types so it is tested over a fake engine:
 * trigger rules, cache, debounce with one request in flight, prompt assembly, stop rules
 * and the confidence filter.
 */
export class CompletionController {
  readonly cache = new CompletionCache<Suggestion>();
  readonly ring = new ContextRing();

  constructor(
    private readonly engine: CompletionEngine,
    private readonly settings: () => ControllerSettings,
    private readonly gate: RequestGate,
    private readonly events: ControllerEvents = {},
  ) {}

  async provide(req: CompletionRequest): Promise<Suggestion[] | undefined> {
    const s = this.settings();
    if (!s.enabled || !s.languages.includes(req.languageId)) return undefined;
    if (req.automatic && blockingSuffix(req.lineSuffix).length > s.autoTriggerMaxLineSuffix) return undefined;
    const cached = this.cache.lookup(req.documentKey, req.prefix, req.suffix);
    if (cached) return cached;

    const signal = await this.gate.begin(req.onCancel);
    if (!signal) return undefined;
    let result: CompletionResult;
    try {
      result = await this.engine.complete(
        { prefix: this.promptPrefix(req, s), suffix: req.suffix.slice(0, s.suffixChars), languageId: req.languageId, isComplete: isCompleteFor(req), timeBudgetMs: s.timeBudgetMs },
        signal,
      );
    } catch (error) {
      if (signal.aborted) return undefined;
      this.events.onError?.(error);
      return undefined;
    }
    if (signal.aborted) return undefined;
    const suggestions = this.shape(result, req, s);
    this.cache.store(req.documentKey, req.prefix, req.suffix, suggestions);
    this.events.onResult?.(req, result, suggestions);
    return suggestions;
  }

  private promptPrefix(req: CompletionRequest, s: ControllerSettings): string {
    const own = req.prefix.slice(-s.prefixChars);
    if (!s.otherFiles || s.contextBudgetChars <= 0) return own;
    const comment = lineComment(req.languageId);
    return comment ? this.ring.render(s.contextBudgetChars, req.documentKey, comment) + own : own;
  }

  /** Candidates → suggestions: stop rules, confidence, no empties or duplicates, best first. */
  private shape(result: CompletionResult, req: CompletionRequest, s: ControllerSettings): Suggestion[] {
    const out: Suggestion[] = [];
    const seen = new Set<string>();
    result.candidates.forEach((c, i) => {
      const keep = confidentLength(c.steps, s.confidenceThreshold, s.confidenceMode);
      const text = finishCompletion(c.text.slice(0, keep), req);
      if (!text.trim() || seen.has(text) || out.length >= s.candidates) return;
      seen.add(text);
      out.push({ text, candidate: i, result });
    });
    return out;
  }
}

/** Text right of the cursor that makes a suggestion awkward: closers and spaces don't count. */
export function blockingSuffix(lineSuffix: string): string {
  return lineSuffix.replace(/[\s)\]}'"`;,]/g, '');
}
