/**
 * What a keystroke costs in long real files, through the editor's own completion controller
 * (tokentree type's replay): prompt tokens evaluated per keystroke, keystroke-to-suggestion time,
 * cache hits; the stable prompt layout against the system before it (the legacy layout, no KV
 * shift) side by side in the same run; and how far a KV-shifted prompt's next-token
 * distribution is from a fresh evaluation.
 *
 *   npm run bench:typing -- [--models builtin,real-shape] [--strategies greedy,beam] [--max-tokens N]
 *                           [--positions N] [--legacy-keys N] [--anytime beam,mcts|none] [--anytime-keys N]
 *                           [--draft on|off] [--draft-keys N] [--definitions on|off] [--json]
 *
 * Files: commander's lib/command.js, picomatch's lib/parse.js and semver's classes/range.js
 * (MIT, MIT, ISC; all held out of the built-in model's training). At each position two real lines
 * are removed and typed again; then the cursor jumps 10 lines up and 30 lines down, and types a new
 * line at each. The real-shape model is Qwen2.5-Coder-0.5B's shape and vocabulary with random
 * weights (tools/model/real-shape.ts), written on first use into .cache/models/.
 *
 * Anytime completion (typing-anytime.ts): the same positions, each segment typing at most
 * --anytime-keys characters, with greedy and with each --anytime strategy refined and not.
 *
 * Prompt-lookup drafts (typing-draft.ts): the same positions, each segment typing at most
 * --draft-keys characters, with greedy on the model as loaded and on the same file with drafting off.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayTyping, quantile, type Keystroke, type TypingSegment } from '../src/cli/type';
import { cursorWindow, textLines } from '../src/decoding/prompt-parts';
import { builtinModelPath } from '../src/model/builtin';
import { loadModel, type LoadedModel } from '../src/model/load';
import { realShapeModel } from '../tools/model/real-shape';
import { shiftDistance, type ShiftDistance } from './shift-distance';
import { repoRoot, benchFlag } from './position';
import { anytimeRows, printAnytime } from './typing-anytime';
import { draftRows, printDraft } from './typing-draft';
import type { StrategyName } from '../src/decoding/strategy';

const args = process.argv.slice(2);
const json = args.includes('--json');
const models = (benchFlag('models') ?? 'builtin,real-shape').split(',');
const strategies = (benchFlag('strategies') ?? 'greedy,beam').split(',') as ('greedy' | 'beam')[];
/** The editor's default: it sets the prompt's budget as well as the suggestion's length. */
const maxTokens = Number(benchFlag('max-tokens') ?? 48);

const FILES = ['node_modules/commander/lib/command.js', 'node_modules/picomatch/lib/parse.js', 'node_modules/semver/classes/range.js'];

interface Scenario {
  readonly file: string;
  readonly text: string;
  /** Where to type what, by line of `text` (the cursor goes to that line's end). */
  readonly segments: readonly { readonly anchor: number; readonly typed: string }[];
}

const indentOf = (line: string) => /^\s*/.exec(line)![0];
const isCode = (line: string) => line.trim().length >= 12 && !/^(\/\/|\/\*|\*)/.test(line.trim());

/**
 * At each position two real lines are deleted and typed again (Enter, the first line, Enter, the
 * start of the second); then a jump up and a jump down within the prompt window, each typing a
 * new line there.
 */
function scenarios(positions: number): Scenario[] {
  const out: Scenario[] = [];
  for (const file of FILES) {
    const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
    for (let p = 0; p < positions; p++) {
      let at = Math.floor(lines.length * (0.35 + (0.4 * p) / Math.max(1, positions - 1)));
      while (at < lines.length - 40 && !(isCode(lines[at]!) && isCode(lines[at + 1]!) && isCode(lines[at - 1]!))) at++;
      const [first, second] = [lines[at]!, lines[at + 1]!];
      const text = [...lines.slice(0, at), ...lines.slice(at + 2)];
      out.push({
        file,
        text: text.join('\n'),
        segments: [
          { anchor: at - 1, typed: `\n${first.slice(0, indentOf(first).length + 32)}\n${second.slice(0, indentOf(second).length + 16)}` },
          { anchor: at - 11, typed: `\n${indentOf(text[at - 10]!)}if (ok` },
          { anchor: at + 30, typed: `\n${indentOf(text[at + 31]!)}return` },
        ],
      });
    }
  }
  return out;
}

/** The segments as the replay takes them, each typing at most `keys` characters: lines typed above an anchor move it down. */
function segmentsOf(s: Scenario, keys: number): TypingSegment[] {
  const lines = s.text.split('\n');
  const typed = s.segments.map((g) => g.typed.slice(0, keys));
  return s.segments.map((g, i) => {
    let line = g.anchor;
    for (let j = 0; j < i; j++) if (s.segments[j]!.anchor < g.anchor) line += (typed[j]!.match(/\n/g) ?? []).length;
    return { line, character: lines[g.anchor]!.length, typed: typed[i]! };
  });
}

type Category = 'cold' | 'jump' | 'enter' | 'inline';
interface Labelled extends Keystroke {
  readonly category: Category;
  /** Which scenario, segment and key: the same key of the other layout's run. */
  readonly id: string;
}

function label(k: Keystroke, scenario: number, index: number): Labelled {
  const category: Category = k.first ? (k.segment === 0 ? 'cold' : 'jump') : k.key === '\n' ? 'enter' : 'inline';
  return { ...k, category, id: `${scenario}/${k.segment}/${index}` };
}

interface Figures {
  keystrokes: number;
  /** Over all keystrokes (0 for those served from the cache), as `tokentree type` summarizes. */
  medianPromptTokensEvaluated: number;
  /** Keystrokes that asked the model, and the prompt tokens each evaluated. */
  modelCalls: number;
  medianPromptTokensPerModelCall: number;
  /** Per model call, by kind of keystroke: how many, median and most prompt tokens evaluated. */
  byCategory: Record<Category, { n: number; median: number; max: number }>;
  p50Ms: number;
  p95Ms: number;
  cacheHitRate: number;
  /** Model calls once the file is cached (not the first at a position): median keystroke ms / median decoding ms. */
  keystrokeVsDecode: number;
  medianDecodeMs: number;
  shiftedKeystrokes: number;
  errors: number;
}

function figures(keys: readonly Labelled[]): Figures {
  const asked = keys.filter((k) => !k.cached && k.promptTokens > 0);
  const byCategory = {} as Figures['byCategory'];
  for (const c of ['cold', 'jump', 'enter', 'inline'] as Category[]) {
    const evaluated = asked.filter((k) => k.category === c).map((k) => k.promptTokensEvaluated);
    byCategory[c] = { n: evaluated.length, median: quantile(evaluated, 0.5), max: evaluated.length ? Math.max(...evaluated) : 0 };
  }
  const warm = asked.filter((k) => k.category !== 'cold');
  return {
    keystrokes: keys.length,
    medianPromptTokensEvaluated: quantile(keys.map((k) => k.promptTokensEvaluated), 0.5),
    modelCalls: asked.length,
    medianPromptTokensPerModelCall: quantile(asked.map((k) => k.promptTokensEvaluated), 0.5),
    byCategory,
    p50Ms: quantile(keys.map((k) => k.ms), 0.5),
    p95Ms: quantile(keys.map((k) => k.ms), 0.95),
    cacheHitRate: keys.filter((k) => k.cached).length / Math.max(1, keys.length),
    keystrokeVsDecode: quantile(warm.map((k) => k.ms), 0.5) / Math.max(1e-9, quantile(warm.map((k) => k.decodeMs), 0.5)),
    medianDecodeMs: quantile(warm.map((k) => k.decodeMs), 0.5),
    shiftedKeystrokes: keys.filter((k) => k.promptTokensShifted > 0).length,
    errors: keys.filter((k) => k.error !== undefined).length,
  };
}

async function runModel(name: string, path: string) {
  const positions = Number(benchFlag('positions') ?? (name === 'builtin' ? 3 : 1));
  // The legacy layout re-evaluates the whole prompt per key: on the real-shape model a few keys per segment show it.
  const legacyKeys = Number(benchFlag('legacy-keys') ?? (name === 'builtin' ? 1000 : 5));
  const model = await loadModel({ modelPath: path });
  // The legacy side is the system before the stable layout: its layout, and no KV shift.
  const legacyModel = await loadModel({ modelPath: path, kvShift: false });
  const room = model.info.contextSize - 1 - maxTokens - 3;
  const result: Record<string, unknown> = {
    model: name, path, architecture: model.info.architecture, contextSize: model.info.contextSize, vocabSize: model.info.vocabSize,
    threads: model.info.threads, backend: model.info.backend, suffixBudgetTokens: Math.floor(room * 0.25),
  };
  try {
    const all = scenarios(positions);
    const rows: Record<string, unknown>[] = [];
    for (const strategy of strategies) {
      const runs: Record<'stable' | 'legacy', Labelled[]> = { stable: [], legacy: [] };
      for (const layout of ['stable', 'legacy'] as const) {
        for (const [i, s] of all.entries()) {
          const segments = segmentsOf(s, layout === 'legacy' ? legacyKeys : Infinity);
          const report = await replayTyping(layout === 'legacy' ? legacyModel : model, {
            text: s.text, path: s.file, languageId: 'javascript', segments, strategy, maxTokens, seed: 1, layout,
            // The window before blocks: whole lines back from the cursor within the character budget.
            blockLines: layout === 'legacy' ? 1 : undefined,
            // Declarations from TypeScript's language service, as the editor's default (--definitions off: none).
            ...(benchFlag('definitions') === 'off' ? { definitions: false as const } : {}),
          });
          const perSegment = new Map<number, number>();
          runs[layout].push(...report.keystrokes.map((k) => {
            const index = perSegment.get(k.segment) ?? 0;
            perSegment.set(k.segment, index + 1);
            return label(k, i, index);
          }));
        }
      }
      const legacyIds = new Set(runs.legacy.map((k) => k.id));
      const stableSame = figures(runs.stable.filter((k) => legacyIds.has(k.id)));
      const legacy = figures(runs.legacy);
      rows.push({
        strategy,
        stable: figures(runs.stable),
        legacy,
        // Same keystrokes on both sides: legacy ÷ stable.
        ratio: {
          keystrokes: legacy.keystrokes,
          // Per kind of keystroke: in-line keys are what typing costs; jumps and cold starts cost the same in both.
          inline: legacy.byCategory.inline.median / Math.max(1, stableSame.byCategory.inline.median),
          jump: legacy.byCategory.jump.median / Math.max(1, stableSame.byCategory.jump.median),
          p50Ms: legacy.p50Ms / stableSame.p50Ms,
          p95Ms: legacy.p95Ms / stableSame.p95Ms,
          stableOnTheseKeys: stableSame,
        },
      });
    }
    result.strategies = rows;
    const anytime = (benchFlag('anytime') ?? 'beam,mcts').split(',').filter((s) => s && s !== 'none') as StrategyName[];
    if (anytime.length > 0) {
      const anytimeKeys = Number(benchFlag('anytime-keys') ?? (name === 'builtin' ? 1000 : 8));
      result.anytime = await anytimeRows(model, all.map((s) => ({ text: s.text, path: s.file, languageId: 'javascript', segments: segmentsOf(s, anytimeKeys), maxTokens, seed: 1 })), anytime);
    }
    if (benchFlag('draft') !== 'off') {
      const draftKeys = Number(benchFlag('draft-keys') ?? (name === 'builtin' ? 1000 : 8));
      const off = await loadModel({ modelPath: path, draftTokens: 0 });
      try {
        result.draft = await draftRows(model, off, all.map((s) => ({ text: s.text, path: s.file, languageId: 'javascript', segments: segmentsOf(s, draftKeys), maxTokens, seed: 1 })));
      } finally {
        await off.dispose();
      }
    }
    result.shift = await shiftSamples(model, path, name === 'builtin' ? 12 : 4);
  } finally {
    await model.dispose();
    await legacyModel.dispose();
  }
  return result;
}

/** KV-shifted prompts against fresh evaluations: the cursor moves down one block and the window's top follows. */
async function shiftSamples(model: LoadedModel, path: string, samplesPerFile: number): Promise<ShiftDistance> {
  const fresh = await loadModel({ modelPath: path, maxBranches: 1 });
  try {
    const pairs: [number[], number[]][] = [];
    for (const file of FILES) {
      const doc = textLines(readFileSync(join(repoRoot, file), 'utf8'));
      for (let line = 200; line + 8 < doc.lineCount && pairs.length < samplesPerFile * (FILES.indexOf(file) + 1); line += 37) {
        const at = (l: number) => [...model.buildPrompt(cursorWindow(doc, l, doc.lineAt(l).length, { prefixChars: 6000, suffixChars: 2000 }), { maxNewTokens: maxTokens }).tokens];
        pairs.push([at(line), at(line + 8)]);
      }
    }
    return await shiftDistance(model, fresh, pairs);
  } finally {
    await fresh.dispose();
  }
}

function print(r: Record<string, unknown>): void {
  console.log(`\n${r.model}: ${r.architecture}, context ${r.contextSize}, vocabulary ${r.vocabSize}, ${r.backend}, ${r.threads} thread(s); suffix budget ${r.suffixBudgetTokens} tokens; ${maxTokens} tokens max`);
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  const mm = (c: { median: number; max: number; n: number }) => (c.n ? `${f(c.median)}/${c.max}` : '-');
  for (const row of r.strategies as { strategy: string; stable: Figures; legacy: Figures; ratio: { keystrokes: number; inline: number; jump: number; p50Ms: number; p95Ms: number; stableOnTheseKeys: Figures } }[]) {
    console.log(`  ${row.strategy}: prompt tokens evaluated per key (all keys; per model call: median/most by kind of key), ms from key to suggestion`);
    console.log('    layout      keys  per key  calls  per call  inline    enter     jump      cold   p50 ms  p95 ms  hits  key÷decode  shifted  errors');
    for (const [name, x] of [['stable', row.stable], ['legacy', row.legacy], ['stable*', row.ratio.stableOnTheseKeys]] as [string, Figures][]) {
      const c = x.byCategory;
      console.log(`    ${name.padEnd(10)} ${String(x.keystrokes).padStart(5)} ${f(x.medianPromptTokensEvaluated).padStart(8)} ${String(x.modelCalls).padStart(6)} ${f(x.medianPromptTokensPerModelCall).padStart(9)}  ${mm(c.inline).padEnd(9)} ${mm(c.enter).padEnd(9)} ${mm(c.jump).padEnd(9)} ${mm(c.cold).padEnd(6)} ${f(x.p50Ms).padStart(7)} ${f(x.p95Ms).padStart(7)} ${`${(100 * x.cacheHitRate).toFixed(0)}%`.padStart(5)} ${x.keystrokeVsDecode.toFixed(3).padStart(11)} ${String(x.shiftedKeystrokes).padStart(8)} ${String(x.errors).padStart(7)}`);
    }
    console.log(`    legacy ÷ stable* (stable* = the same ${row.ratio.keystrokes} keystrokes): prompt tokens per in-line key ${row.ratio.inline.toFixed(1)}×, per jump ${row.ratio.jump.toFixed(2)}×; p50 ${row.ratio.p50Ms.toFixed(2)}×, p95 ${row.ratio.p95Ms.toFixed(2)}×`);
  }
  if (r.anytime) printAnytime(r.anytime as Parameters<typeof printAnytime>[0]);
  if (r.draft) printDraft(r.draft as Parameters<typeof printDraft>[0]);
  const s = r.shift as ShiftDistance;
  console.log(`  KV shift vs fresh evaluation (${s.samples} shifted prompts of ${s.pairs}, ${s.medianShiftedTokens} tokens kept by the shift, median): KL median ${s.klMedian.toExponential(2)} max ${s.klMax.toExponential(2)} nats; same top token ${(100 * s.top1Agreement).toFixed(0)}%; greedy ${s.continuationTokens} tokens identical ${(100 * s.continuationAgreement).toFixed(0)}%; noise floor (exact re-evaluation vs fresh) KL max ${s.exactKlMax.toExponential(2)}`);
}

async function main() {
  const results: Record<string, unknown>[] = [];
  for (const name of models) {
    const path = name === 'builtin' ? builtinModelPath() : name === 'real-shape' ? await realShapeModel() : name;
    const r = await runModel(name, path);
    results.push(r);
    if (!json) print(r);
  }
  if (json) console.log(JSON.stringify({ node: process.version, maxTokens, results }, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
