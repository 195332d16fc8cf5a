import type { CompletionResult } from '../decoding/completion';
import { cursorWindow, DEFAULT_BLOCK_LINES, textBeforeCursor, withInsertion, type ContextChunk, type PromptParts } from '../decoding/prompt-parts';
import { definitionsBudget, NO_DEFINITIONS, windowLines, type DefinitionContext } from '../context/definition-context';
import { DefinitionSnapshots } from './definition-snapshots';
import { CompletionCache, type CachePosition } from './completion-cache';
import { ContextRing, lineComment, sameChunks } from './context-ring';
import type { ControllerSettings } from './controller-settings';
import type { RequestGate, Ticket } from './request-gate';
import type { StopContext } from '../decoding/stop-rules';
import { decideRefinement, meanScoreOf, type Refinement } from './refinement';
import { blockingSuffix, shapeSuggestions } from './suggestions';
import type { CompletionEngine, ControllerEvents, ControllerOptions, CursorRequest, EngineRequest, Suggestion } from './controller-types';

export type { ControllerSettings };
export type { CompletionEngine, ControllerEvents, ControllerOptions, CursorRequest, EngineRequest, Suggestion } from './controller-types';
export { blockingSuffix, shownInline } from './suggestions';

/** A request resolved against the document and the settings. */
interface Resolved {
  readonly request: CursorRequest;
  readonly parts: PromptParts;
  readonly stop: StopContext;
  readonly at: CachePosition;
}

/**
 * The inline-completion policy, free of VS Code types so it is tested over a fake engine:
 * trigger rules, the prompt window, cache, debounce with one request in flight, stop rules,
 * the confidence filter, and the work done while the user is not typing: the suggestion that
 * follows accepting the one shown, and, when the editor is idle, other files' context folded
 * into the model's cache (and a KV-shifted prompt re-evaluated exactly) before a keystroke
 * needs it.
 */
export class CompletionController {
  readonly cache = new CompletionCache<Suggestion>();
  readonly ring = new ContextRing();
  /** Declarations of the names at the cursor, from a language server (ControllerOptions.definitions). */
  readonly definitions: DefinitionSnapshots;
  /** Per document: the other files' chunks its prompts use, updated only when idle. */
  private readonly snapshots = new Map<string, readonly ContextChunk[]>();
  /** Per document: the first line of the last prompt's prefix (the layout's hysteresis). */
  private readonly tops = new Map<string, number | undefined>();
  private last?: { resolved: Resolved; shifted: boolean };
  private idleTimer?: ReturnType<typeof setTimeout>;
  private prefetchTimer?: ReturnType<typeof setTimeout>;
  private disposed = false;
  /** The search behind the first suggestion shown, while it runs. */
  private refining?: { readonly key: string; readonly documentKey: string; readonly abort: AbortController; accepting: boolean; readonly done: Promise<Refinement | undefined> };
  /** The position a refinement replaced the suggestion at: the editor's re-ask there keeps the prefetch timer. */
  private refreshed?: string;

  constructor(
    private readonly engine: CompletionEngine,
    private readonly settings: () => ControllerSettings,
    private readonly gate: RequestGate,
    private readonly events: ControllerEvents = {},
    private readonly options: ControllerOptions = {},
  ) {
    this.definitions = new DefinitionSnapshots(options.definitions, options.blockLines ?? DEFAULT_BLOCK_LINES);
  }

  async provide(request: CursorRequest): Promise<Suggestion[] | undefined> {
    const s = this.settings();
    if (this.disposed || !s.enabled || !s.languages.includes(request.languageId)) return undefined;
    const r = this.resolve(request, s);
    if (request.automatic && blockingSuffix(r.stop.lineSuffix).length > s.autoTriggerMaxLineSuffix) return undefined;
    this.last = { resolved: r, shifted: this.last?.resolved.request.documentKey === request.documentKey && this.last.shifted };
    if (this.definitionsOn(s)) this.definitions.noteCursor(request, windowLines(r.parts, request.line), definitionsBudget(s.contextBudgetChars));
    const key = positionKey(r.at);
    if (this.refreshed !== key) clearTimeout(this.prefetchTimer);
    this.refreshed = undefined;
    // A request elsewhere (typing through the shown text included) ends the search behind it.
    if (this.refining && this.refining.key !== key) this.refining.abort.abort();
    this.armIdle();
    const cached = this.cache.lookup(r.at);
    if (cached) return cached;

    // A prefetch computing exactly this position is waited for, not cancelled.
    const ticket = await this.gate.begin(request.onCancel, key);
    if (!ticket) return undefined;
    const prefetched = this.cache.lookup(r.at);
    if (prefetched) {
      ticket.end();
      return prefetched;
    }
    return this.run(r, s, ticket);
  }

  /** Settles when the search behind the first suggestion shown has ended (at once when none runs). */
  async refinement(): Promise<Refinement | undefined> {
    return this.refining?.done;
  }

  /** Part of the shown suggestion was accepted (by word or line): the search must not replace it now. */
  notePartialAccept(documentKey: string): void {
    if (this.refining?.documentKey === documentKey) this.refining.accepting = true;
  }

  /**
   * Runs the completion; resolves with the first suggestions shown: greedy's, when the strategy
   * searches and refinement is on (the search goes on, holding the ticket, and ends in
   * `refined`), else the strategy's own.
   */
  private run(r: Resolved, s: ControllerSettings, ticket: Ticket): Promise<Suggestion[] | undefined> {
    const abort = new AbortController();
    const onTicketAbort = () => abort.abort();
    ticket.signal.addEventListener('abort', onTicketAbort, { once: true });
    const signal = abort.signal;
    const mode = s.refine ?? 'replace';
    let showFirst!: (shown: Suggestion[]) => void;
    const firstShown = new Promise<Suggestion[]>((resolve) => (showFirst = resolve));
    let first: Suggestion[] | undefined;
    let settle!: (refinement: Refinement | undefined) => void;
    const onFirst = mode === 'off' ? undefined : (result: CompletionResult) => {
      if (signal.aborted) return;
      first = shapeSuggestions(result, { ...r.stop, window: textBeforeCursor(r.parts) }, s, this.options.calibration?.());
      this.cache.store(r.at, first);
      this.refining = {
        key: positionKey(r.at), documentKey: r.request.documentKey, abort, accepting: false,
        done: new Promise<Refinement | undefined>((resolve) => (settle = resolve)),
      };
      this.events.onFirst?.(r.request, result, first);
      showFirst(first);
    };
    const request = { ...this.engineRequest(r, s, false), ...(onFirst ? { firstSuggestionMs: s.firstSuggestionMs ?? 500 } : {}) };
    const final = (async (): Promise<Suggestion[] | undefined> => {
      let refinement: Refinement | undefined;
      let shown: Suggestion | undefined;
      let suggestions: Suggestion[] | undefined;
      try {
        const result = await this.engine.complete(request, signal, onFirst);
        if (signal.aborted) return undefined;
        suggestions = shapeSuggestions(result, { ...r.stop, window: textBeforeCursor(r.parts) }, s, this.options.calibration?.(), first?.[0]?.text);
        this.tops.set(r.request.documentKey, result.topLine);
        this.last = { resolved: r, shifted: result.promptTokensShifted > 0 };
        if (first === undefined) this.cache.store(r.at, suggestions);
        else refinement = this.refined(r, s, first, suggestions);
        this.events.onResult?.(r.request, result, suggestions);
        if (refinement) this.events.onRefined?.(refinement);
        shown = first === undefined || refinement?.replaced ? suggestions[0] : first[0];
        // What the user does not see is not accepted: nothing to prefetch after it.
        if (shown?.gate?.suppressed) shown = undefined;
      } catch (error) {
        if (!signal.aborted) this.events.onError?.(error);
        return undefined;
      } finally {
        ticket.signal.removeEventListener('abort', onTicketAbort);
        ticket.end();
        if (this.refining?.abort === abort) this.refining = undefined;
        settle?.(refinement);
        if (first !== undefined && refinement === undefined) this.events.onRefineCancelled?.(r.request);
      }
      const delay = this.options.prefetchDelayMs ?? 100;
      const next = shown;
      if (next && delay <= 0) this.prefetch(r, next, s);
      else if (next) this.prefetchTimer = this.timer(() => this.prefetch(r, next, s), delay);
      return suggestions;
    })();
    return Promise.race([firstShown, final]);
  }

  /** Whether and how the search's suggestions replace the first ones (the cache gets them when they do). */
  private refined(r: Resolved, s: ControllerSettings, first: readonly Suggestion[], final: readonly Suggestion[]): Refinement {
    const now = this.options.where?.(r.request.documentKey);
    const cursor = r.request.cursor ?? r.request;
    const here = this.options.where === undefined
      || (now !== undefined && now.version === r.request.version && now.line === cursor.line && now.character === cursor.character);
    const { reason, kept, replaced } = decideRefinement(first[0], final[0], { accepting: this.refining?.accepting === true, here, mode: s.refine ?? 'replace' });
    if (replaced) {
      this.cache.store(r.at, final);
      this.refreshed = positionKey(r.at);
    }
    return {
      request: r.request, first, final, replaced,
      ...(reason ? { reason } : {}), ...(kept ? { kept } : {}),
      firstScore: meanScoreOf(first[0]), finalScore: meanScoreOf(final[0]),
    };
  }

  /** The engine request the editor would make at this cursor (its prompt window and stop rules), for work beside typing. */
  requestAt(request: CursorRequest): EngineRequest {
    const s = this.settings();
    return this.engineRequest(this.resolve(request, s), s, false);
  }

  /** The other files' chunks a document's prompts hold now (the ring's and the definitions'). */
  contextOf(documentKey: string): readonly ContextChunk[] {
    return this.snapshots.get(documentKey) ?? [];
  }

  /** Stops the completion in flight (the panel's Cancel on a long search); the cache stays. */
  cancelInFlight(): void {
    this.gate.cancelAll();
  }

  /** Forgets every suggestion and cancels work in flight: the settings or the model changed. */
  invalidate(): void {
    clearTimeout(this.prefetchTimer);
    this.gate.cancelAll();
    this.cache.clear();
    this.snapshots.clear();
    this.definitions.clear();
    this.tops.clear();
  }

  /** Drops what is kept for a document (it was closed). */
  forget(documentKey: string): void {
    this.cache.forget(documentKey);
    this.snapshots.delete(documentKey);
    this.definitions.forget(documentKey);
    this.tops.delete(documentKey);
  }

  /** Stops timers and background work; later requests get nothing. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.prefetchTimer);
    this.gate.cancelAll();
  }

  private resolve(request: CursorRequest, s: ControllerSettings): Resolved {
    const window = cursorWindow(request.document, request.line, request.character, {
      prefixChars: s.prefixChars, suffixChars: s.suffixChars, blockLines: this.options.blockLines,
    });
    const lineText = request.document.lineAt(request.line);
    const parts: PromptParts = {
      ...window,
      extra: this.snapshotFor(request.documentKey, s),
      path: request.path,
      repo: request.repo,
      comment: lineComment(request.languageId),
      topHint: this.tops.get(request.documentKey),
    };
    const stop = { linePrefix: lineText.slice(0, request.character), lineSuffix: lineText.slice(request.character), suffix: window.suffix };
    const at = { documentKey: request.documentKey, line: request.line, character: request.character, before: textBeforeCursor(window), suffix: window.suffix };
    return { request, parts, stop, at };
  }

  /** The document's snapshot of other files; the first request of a document takes the current one. */
  private snapshotFor(documentKey: string, s: ControllerSettings): readonly ContextChunk[] {
    if ((!s.otherFiles && !this.definitionsOn(s)) || s.contextBudgetChars <= 0) return [];
    let chunks = this.snapshots.get(documentKey);
    if (chunks === undefined) {
      chunks = s.otherFiles ? this.ring.snapshot(s.contextBudgetChars, documentKey) : [];
      this.snapshots.set(documentKey, chunks);
    }
    return chunks;
  }

  private engineRequest(r: Resolved, s: ControllerSettings, background: boolean): EngineRequest {
    return { parts: r.parts, languageId: r.request.languageId, stop: r.stop, timeBudgetMs: s.timeBudgetMs, background };
  }

  /** Computes, in the background, what to suggest once `shown` is accepted (as llama.vscode does). */
  private prefetch(r: Resolved, shown: Suggestion, s: ControllerSettings): void {
    if (this.disposed) return;
    const after = withInsertion(r.request.document, r.request.line, r.request.character, shown.text);
    const next = this.resolve({ ...r.request, ...after, automatic: true, onCancel: undefined, cursor: undefined }, s);
    if (blockingSuffix(next.stop.lineSuffix).length > s.autoTriggerMaxLineSuffix || this.cache.lookup(next.at)) return;
    this.gate.background(positionKey(next.at), async (signal) => {
      const result = await this.engine.complete(this.engineRequest(next, s, true), signal);
      if (!signal.aborted) this.cache.store(next.at, shapeSuggestions(result, { ...next.stop, window: textBeforeCursor(next.parts) }, s, this.options.calibration?.()));
    });
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = this.timer(() => this.onIdle(), this.options.idleMs ?? 1000);
  }

  /** A timer that does not keep the process alive (the CLI exits when its work is done). */
  private timer(run: () => void, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(run, ms);
    timer.unref?.();
    return timer;
  }

  /**
   * While nothing is typed: takes a new snapshot of other files where it changed, and brings the
   * model's cache to the last cursor's prompt exactly (with that snapshot, and without a shifted
   * stretch). The snapshot is switched to only once its prompt is in the cache, so a keystroke
   * never waits for it; typing cancels the work and what was evaluated stays cached.
   */
  private onIdle(): void {
    const last = this.last;
    if (this.disposed || last === undefined) return;
    if (!this.gate.idle) return this.armIdle();
    const s = this.settings();
    if (!this.definitionsOn(s)) return this.foldIn(last, s, NO_DEFINITIONS);
    const request = last.resolved.request;
    void this.definitions.lookup(request, windowLines(last.resolved.parts, request.line), definitionsBudget(s.contextBudgetChars)).then((found) => {
      // Typing since: the next idle time asks again (the answer stays cached for the same version).
      if (this.last === last && !this.disposed) this.foldIn(last, s, found);
    });
  }

  private definitionsOn(s: ControllerSettings): boolean {
    return s.definitions === true && this.definitions.available && s.contextBudgetChars > 0;
  }

  /** The idle work with the definitions now known: a new snapshot where it changed, warmed before prompts use it. */
  private foldIn(last: { resolved: Resolved; shifted: boolean }, s: ControllerSettings, found: DefinitionContext): void {
    const key = last.resolved.request.documentKey;
    const current = this.snapshots.get(key) ?? [];
    const definitionChars = found.chunks.reduce((n, c) => n + c.path.length + c.text.length + 2, 0);
    const ringBudget = s.contextBudgetChars - definitionChars;
    // Definitions go last, next to the current file: the layout keeps the last chunks when room is short.
    const fresh = [...(s.otherFiles && ringBudget > 0 ? this.ring.snapshot(ringBudget, key) : []), ...found.chunks];
    const changed = !sameChunks(current, fresh);
    if (!changed && !last.shifted) return;
    let r: Resolved;
    try {
      r = this.resolve(last.resolved.request, s);
    } catch {
      return; // the document changed under the last cursor (or closed): nothing to warm
    }
    const request = this.engineRequest({ ...r, parts: { ...r.parts, extra: fresh } }, s, true);
    this.gate.background(`warm:${key}`, async (signal) => {
      await this.engine.warm(request, signal);
      if (signal.aborted) return;
      this.snapshots.set(key, fresh);
      this.definitions.commit(key, found);
      if (this.last === last) this.last = { resolved: last.resolved, shifted: false };
    });
  }
}

const positionKey = (at: CachePosition) => `${at.documentKey}\n${at.line}:${at.character}\n${at.before.slice(-200)}\n${at.suffix.slice(0, 200)}`;
