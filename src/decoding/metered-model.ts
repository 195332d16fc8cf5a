import { throwIfAborted, type Branch, type EvaluateRequest, type GeneratedToken, type GenerateRequest, type GenerationEnd, type LanguageModel, type NextTokenScores } from './language-model';
import type { DecodeStats } from './strategy';

/**
 * The model as a strategy sees it: counts model calls and evaluated tokens, checks the
 * AbortSignal before every call (so a cancelled request stops within one model call), and
 * releases every branch it forked when the strategy finishes, even on error.
 */
export class MeteredModel {
  readonly stats: Required<DecodeStats> = { modelCalls: 0, tokensEvaluated: 0, ms: 0, topOneReads: 0, deepReads: 0 };
  private readonly started = performance.now();
  private readonly owned = new Set<Branch>();
  /** Runs before each model call (the live tree's snapshots). */
  beforeCall?: () => void;

  constructor(
    readonly model: LanguageModel,
    readonly signal?: AbortSignal,
    /** A branch the caller handed over, which adopt() may return once instead of a fork. */
    private handedOver?: Branch,
  ) {}

  /**
   * A branch with `branch`'s state for the strategy to extend: `branch` itself when the caller
   * handed it over (once), else a fork. Adopting saves a KV-cache copy, and on llama.cpp the first
   * step's decode on another sequence (about 0.7 ms per completion on the built-in model), so
   * strategies adopt for their last use of the prompt's branch. The caller still releases it.
   */
  adopt(branch: Branch): Branch {
    if (branch !== this.handedOver) return this.fork(branch);
    throwIfAborted(this.signal);
    this.handedOver = undefined;
    return branch;
  }

  fork(branch: Branch): Branch {
    throwIfAborted(this.signal);
    const forked = this.model.fork(branch);
    this.owned.add(forked);
    return forked;
  }

  release(branch: Branch): void {
    if (this.owned.delete(branch)) this.model.release(branch);
  }

  /** Whether the backend truncates at all (it may still refuse a given branch and length). */
  get truncates(): boolean {
    return this.model.truncate !== undefined;
  }

  /** LanguageModel.truncate on a branch this strategy forked; false where the backend has none. */
  truncate(branch: Branch, length: number): boolean {
    throwIfAborted(this.signal);
    return this.owned.has(branch) && (this.model.truncate?.(branch, length) ?? false);
  }

  async evaluate(requests: readonly EvaluateRequest[]): Promise<NextTokenScores[]> {
    throwIfAborted(this.signal);
    if (requests.length === 0) return [];
    this.beforeCall?.();
    this.stats.modelCalls++;
    for (const r of requests) {
      this.stats.tokensEvaluated += r.tokens.length;
      if (r.topN <= 1) this.stats.topOneReads++;
      else this.stats.deepReads++;
    }
    const out = await this.model.evaluate(requests, this.signal);
    throwIfAborted(this.signal);
    return out;
  }

  /**
   * The backend's own generation (LanguageModel.generate), counted as one model call; undefined
   * where the backend has none or the branch cannot generate freely now.
   */
  generate(request: GenerateRequest): AsyncGenerator<GeneratedToken, GenerationEnd> | undefined {
    throwIfAborted(this.signal);
    const stream = this.model.generate?.(request, this.signal);
    return stream && this.counted(stream, request.tokens.length);
  }

  private async *counted(stream: AsyncGenerator<GeneratedToken, GenerationEnd>, appended: number): AsyncGenerator<GeneratedToken, GenerationEnd> {
    // Counted when read, not when made: a stream dropped unread costs nothing.
    this.beforeCall?.();
    let first = true;
    try {
      for (;;) {
        const next = await stream.next();
        throwIfAborted(this.signal);
        if (next.done) {
          if (first) this.charge({ calls: 1, tokens: appended });
          return next.value;
        }
        // A backend that says what each token cost is taken at its word; else the stream is one
        // call, and each token after the first was evaluated to give the next one's scores.
        this.charge(next.value.cost ?? { calls: first ? 1 : 0, tokens: first ? appended : 1 });
        first = false;
        yield next.value;
      }
    } finally {
      // Leaving early (a stop rule, the budget, an error) stops the backend's generation.
      await stream.return('length');
    }
  }

  private charge(cost: { readonly calls: number; readonly tokens: number }): void {
    this.stats.modelCalls += cost.calls;
    this.stats.tokensEvaluated += cost.tokens;
  }

  /** True once the request's time budget is spent. */
  outOfTime(budgetMs: number | undefined): boolean {
    return budgetMs !== undefined && this.elapsed() >= budgetMs;
  }

  /** Ms since the strategy started. */
  elapsed(): number {
    return performance.now() - this.started;
  }

  /** Releases what is left and stamps the elapsed time. */
  finish(): void {
    for (const branch of this.owned) this.model.release(branch);
    this.owned.clear();
    this.stats.ms = this.elapsed();
  }
}
