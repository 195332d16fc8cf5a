/**
 * bench:typing's prompt-lookup figures: the same keystrokes replayed with greedy on the model as
 * the editor loads it (drafting on) and on the same file loaded with `draftTokens: 0`, in one run,
 * the order alternating per scenario. Reports keystroke-to-suggestion and greedy's decoding time
 * both ways, whether any suggestion differs (drafting must not change one), and what the drafts
 * did: tokens drafted and kept per decode of greedy's generation.
 */
import { replayTyping, quantile, type Keystroke } from '../src/cli/type';
import type { LoadedModel } from '../src/model/load';
import type { BackendStats } from '../src/model/backend-stats';
import { asked, type Replay } from './typing-anytime';

export interface DraftFigures {
  readonly keystrokes: number;
  /** Keystrokes that asked the model on both sides, prompt not KV-shifted and not cut by the time budget on either. */
  readonly compared: number;
  /** Of those, keystrokes whose suggestion differs. */
  readonly mismatches: number;
  readonly p50Ms: number;
  readonly offP50Ms: number;
  readonly p95Ms: number;
  readonly offP95Ms: number;
  /** Greedy's own decoding time (the strategy, prompt excluded), median over the compared keystrokes. */
  readonly p50DecodeMs: number;
  readonly offP50DecodeMs: number;
  /** Decodes of greedy's generation, tokens drafted into them and kept. */
  readonly decodes: number;
  readonly drafted: number;
  readonly accepted: number;
  /** Tokens each decode gave: 1 + the drafted tokens kept. */
  readonly tokensPerDecode: number;
}

const stats = (m: LoadedModel) => (m.languageModel as unknown as { stats: BackendStats }).stats;

export async function draftRows(on: LoadedModel, off: LoadedModel, replays: readonly Replay[]): Promise<DraftFigures> {
  const before = stats(on);
  const pairs: { on: Keystroke; off: Keystroke }[] = [];
  let keystrokes = 0;
  for (const [i, r] of replays.entries()) {
    const run = async (m: LoadedModel) => (await replayTyping(m, { ...r, strategy: 'greedy' })).keystrokes;
    let a: readonly Keystroke[];
    let b: readonly Keystroke[];
    if (i % 2 === 0) {
      a = await run(on);
      b = await run(off);
    } else {
      b = await run(off);
      a = await run(on);
    }
    keystrokes += a.length;
    a.forEach((k, j) => {
      const o = b[j];
      if (o && asked(k) && asked(o)) pairs.push({ on: k, off: o });
    });
  }
  const after = stats(on);
  const exact = pairs.filter((p) => p.on.promptTokensShifted === 0 && p.off.promptTokensShifted === 0 && !p.on.budgetCut && !p.off.budgetCut);
  const median = (xs: number[]) => quantile(xs, 0.5);
  const decodes = after.draftDecodes - before.draftDecodes;
  const accepted = after.draftedTokensAccepted - before.draftedTokensAccepted;
  return {
    keystrokes,
    compared: exact.length,
    mismatches: exact.filter((p) => p.on.suggestion !== p.off.suggestion).length,
    p50Ms: median(pairs.map((p) => p.on.ms)),
    offP50Ms: median(pairs.map((p) => p.off.ms)),
    p95Ms: quantile(pairs.map((p) => p.on.ms), 0.95),
    offP95Ms: quantile(pairs.map((p) => p.off.ms), 0.95),
    p50DecodeMs: median(pairs.map((p) => p.on.decodeMs)),
    offP50DecodeMs: median(pairs.map((p) => p.off.decodeMs)),
    decodes,
    drafted: after.draftedTokens - before.draftedTokens,
    accepted,
    tokensPerDecode: (decodes + accepted) / Math.max(1, decodes),
  };
}

export function printDraft(d: DraftFigures): void {
  const f = (x: number) => x.toFixed(1);
  console.log(`  prompt-lookup drafts (greedy, ${d.keystrokes} keys; ${d.compared} compared): drafting on ÷ off, the same keystrokes`);
  console.log(`    key p50 ${f(d.p50Ms)} / ${f(d.offP50Ms)} ms (${(d.p50Ms / Math.max(1e-9, d.offP50Ms)).toFixed(2)}×), p95 ${f(d.p95Ms)} / ${f(d.offP95Ms)} ms; greedy's decoding p50 ${f(d.p50DecodeMs)} / ${f(d.offP50DecodeMs)} ms (${(d.p50DecodeMs / Math.max(1e-9, d.offP50DecodeMs)).toFixed(2)}×)`);
  console.log(`    ${d.decodes} decodes, ${d.drafted} tokens drafted, ${d.accepted} kept (${(100 * d.accepted / Math.max(1, d.drafted)).toFixed(0)}%): ${d.tokensPerDecode.toFixed(2)} tokens per decode; suggestions that differ: ${d.mismatches}`);
}
