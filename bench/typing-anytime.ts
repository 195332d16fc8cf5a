/**
 * bench:typing's anytime figures: the same keystrokes replayed with greedy, and with each search
 * strategy both ways (its first suggestion shown at greedy's pace and refined; and `refine: off`,
 * today's wait for the search), in one run. Per strategy: keystroke-to-first-suggestion p50/p95,
 * the median against greedy's keystroke-to-suggestion on the keystrokes that asked the model on
 * both sides, how often the search replaced the first suggestion, and whether the final suggestion
 * equals the strategy's own (the `off` run) on every keystroke the time budget did not cut.
 */
import { replayTyping, quantile, type Keystroke, type TypingOptions } from '../src/cli/type';
import type { StrategyName } from '../src/decoding/strategy';
import type { CompletionBackend } from '../src/model/backend';

export interface AnytimeRow {
  readonly strategy: string;
  readonly keystrokes: number;
  /** Keystrokes that asked the model with this strategy and with greedy. */
  readonly compared: number;
  readonly p50FirstMs: number;
  readonly p95FirstMs: number;
  /** The same keystrokes: this strategy's final suggestion, greedy's, and today's wait (refine off). */
  readonly p50Ms: number;
  readonly greedyP50Ms: number;
  readonly offP50Ms: number;
  /** Median first suggestion ÷ greedy's median keystroke-to-suggestion (the goal: ≤ 1.25). */
  readonly firstVsGreedy: number;
  readonly offVsGreedy: number;
  /** Share of the keystrokes that asked the model whose first suggestion was replaced. */
  readonly refinedRate: number;
  /**
   * Keystrokes (asked the model on both sides, not cut by the time budget, prompt not KV-shifted on
   * either side: a shifted prompt is close to a fresh evaluation, not equal) whose final suggestion
   * differs from the strategy's own.
   */
  readonly mismatches: number;
  /** Of the rest: the search had nothing to suggest, and greedy's suggestion stayed (never replaced by nothing). */
  readonly keptOverNothing: number;
  readonly budgetCut: number;
  readonly shifted: number;
}

export type Replay = Omit<TypingOptions, 'strategy' | 'settings'>;

/** A keystroke that asked the model (not served from the cache, a prompt to evaluate). */
export const asked = (k: Keystroke) => !k.cached && k.promptTokens > 0;

async function keys(model: CompletionBackend, replays: readonly Replay[], strategy: StrategyName, refine: 'replace' | 'off'): Promise<Keystroke[][]> {
  const out: Keystroke[][] = [];
  for (const r of replays) out.push([...(await replayTyping(model, { ...r, strategy, settings: { refine } })).keystrokes]);
  return out;
}

export async function anytimeRows(model: CompletionBackend, replays: readonly Replay[], strategies: readonly StrategyName[]): Promise<{ greedy: { p50Ms: number; p95Ms: number; keystrokes: number }; rows: AnytimeRow[] }> {
  const greedy = await keys(model, replays, 'greedy', 'replace');
  const flatGreedy = greedy.flat();
  const rows: AnytimeRow[] = [];
  for (const strategy of strategies) {
    const on = await keys(model, replays, strategy, 'replace');
    const off = await keys(model, replays, strategy, 'off');
    const both: { on: Keystroke; off: Keystroke; greedy: Keystroke }[] = [];
    on.forEach((run, i) => run.forEach((k, j) => {
      const g = greedy[i]![j];
      const o = off[i]![j];
      if (g && o && asked(k) && asked(g) && asked(o)) both.push({ on: k, off: o, greedy: g });
    }));
    const median = (xs: number[]) => quantile(xs, 0.5);
    const greedyP50 = median(both.map((b) => b.greedy.ms));
    const flatOn = on.flat();
    const unshifted = both.filter((b) => b.on.promptTokensShifted === 0 && b.off.promptTokensShifted === 0);
    const exact = unshifted.filter((b) => !b.on.budgetCut && !b.off.budgetCut);
    rows.push({
      strategy,
      keystrokes: flatOn.length,
      compared: both.length,
      p50FirstMs: median(both.map((b) => b.on.firstMs)),
      p95FirstMs: quantile(both.map((b) => b.on.firstMs), 0.95),
      p50Ms: median(both.map((b) => b.on.ms)),
      greedyP50Ms: greedyP50,
      offP50Ms: median(both.map((b) => b.off.ms)),
      firstVsGreedy: median(both.map((b) => b.on.firstMs)) / Math.max(1e-9, greedyP50),
      offVsGreedy: median(both.map((b) => b.off.ms)) / Math.max(1e-9, greedyP50),
      refinedRate: flatOn.filter((k) => k.refined).length / Math.max(1, flatOn.filter(asked).length),
      mismatches: exact.filter((b) => b.on.suggestion !== b.off.suggestion && b.off.suggestion !== null).length,
      keptOverNothing: exact.filter((b) => b.on.suggestion !== null && b.off.suggestion === null).length,
      budgetCut: unshifted.length - exact.length,
      shifted: both.length - unshifted.length,
    });
  }
  return { greedy: { p50Ms: quantile(flatGreedy.filter(asked).map((k) => k.ms), 0.5), p95Ms: quantile(flatGreedy.filter(asked).map((k) => k.ms), 0.95), keystrokes: flatGreedy.length }, rows };
}

export function printAnytime(a: Awaited<ReturnType<typeof anytimeRows>>): void {
  const f = (x: number) => x.toFixed(1);
  console.log(`  anytime completion: first suggestion (greedy's, then refined) against greedy's keystroke-to-suggestion, the same keystrokes (greedy p50 ${f(a.greedy.p50Ms)} ms over the keys that asked the model)`);
  console.log('    strategy  keys  compared  first p50  first p95  final p50  off p50  greedy p50  first÷greedy  off÷greedy  refined  mismatches  kept-over-nothing  budget-cut  shifted');
  for (const r of a.rows) {
    console.log(`    ${r.strategy.padEnd(8)} ${String(r.keystrokes).padStart(5)} ${String(r.compared).padStart(9)} ${f(r.p50FirstMs).padStart(10)} ${f(r.p95FirstMs).padStart(10)} ${f(r.p50Ms).padStart(10)} ${f(r.offP50Ms).padStart(8)} ${f(r.greedyP50Ms).padStart(11)} ${r.firstVsGreedy.toFixed(2).padStart(13)} ${r.offVsGreedy.toFixed(2).padStart(11)} ${`${(100 * r.refinedRate).toFixed(0)}%`.padStart(8)} ${String(r.mismatches).padStart(11)} ${String(r.keptOverNothing).padStart(18)} ${String(r.budgetCut).padStart(11)} ${String(r.shifted).padStart(8)}`);
  }
}
