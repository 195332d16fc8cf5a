import type { Branch, EvaluateRequest, LanguageModel, NextTokenScores, PromptState } from './language-model';
import { throwIfAborted } from './language-model';
import type { DecodeStats } from './strategy';

/**
 * The model as a strategy sees it: counts model calls and evaluated tokens, checks the
 * AbortSignal before every call (so a cancelled request stops within one model call), and
 * releases every branch it forked when the strategy finishes, even on error.
 */
export class MeteredModel {
  readonly stats: DecodeStats = { modelCalls: 0, tokensEvaluated: 0, ms: 0 };
  private readonly started = performance.now();
  private readonly owned = new Set<Branch>();

  constructor(
    readonly model: LanguageModel,
    readonly signal?: AbortSignal,
  ) {}

  fork(branch: Branch): Branch {
    throwIfAborted(this.signal);
    const forked = this.model.fork(branch);
    this.owned.add(forked);
    return forked;
  }

  release(branch: Branch): void {
    if (this.owned.delete(branch)) this.model.release(branch);
  }

  async evaluate(requests: readonly EvaluateRequest[]): Promise<NextTokenScores[]> {
    throwIfAborted(this.signal);
    if (requests.length === 0) return [];
    this.stats.modelCalls++;
    for (const r of requests) this.stats.tokensEvaluated += r.tokens.length;
    const out = await this.model.evaluate(requests, this.signal);
    throwIfAborted(this.signal);
    return out;
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
  finish(): DecodeStats {
    for (const branch of this.owned) this.model.release(branch);
    this.owned.clear();
    this.stats.ms = this.elapsed();
    return this.stats;
  }

  /** Wraps a strategy body so that branches are released whatever happens. */
  static async run<T>(model: LanguageModel, signal: AbortSignal | undefined, body: (m: MeteredModel) => Promise<T>): Promise<{ value: T; stats: DecodeStats }> {
    const metered = new MeteredModel(model, signal);
    try {
      const value = await body(metered);
      return { value, stats: metered.finish() };
    } finally {
      metered.finish();
    }
  }
}

export type { PromptState };
