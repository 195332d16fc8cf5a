import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { globSync } from 'tinyglobby';
import { isStrategyName, STRATEGY_NAMES } from '../decoding/strategies';
import type { StrategyName } from '../decoding/strategy';
import type { SyntaxOracle } from '../decoding/value';
import { stopContextAt } from '../decoding/stop-rules';
import { repeatsSuffix, scorePosition, similarity, twoLines } from '../eval/metrics';
import { scoreQuality } from '../eval/rank-correlation';
import { completeRequest } from '../engine/session';
import type { Candidate } from '../decoding/strategy';
import type { CompletionResult } from '../decoding/completion';
import { quoteText } from '../decoding/describe-value';
import { targetLogLikelihood } from '../eval/likelihood';
import { DEFAULT_MID_IDENTIFIER_SHARE, pickCloserPositions, pickPositions, type EvalFile, type EvalPosition } from '../eval/positions';
import { DEFAULT_WINDOW, partsFromText, textBeforeCursor, type PromptParts, type WindowOptions } from '../decoding/prompt-parts';
import { builtinModelPath } from '../model/builtin';
import { loadModel } from '../model/load';
import type { CompletionBackend } from '../model/backend';
import { connectCliServer, readServer } from './complete';
import { languageOf, typescriptOracle } from '../syntax/typescript-oracle';
import { parseFlags } from './args';
import { CliUsageError } from './errors';
import { suggestionSignals } from '../decoding/gate/signals';
import { gatingFigures, type GatingRecord } from '../eval/gating';
import { figures, formatTable, type ArmResult, type Scored } from '../eval/report';
import { contextSummary, prepareContexts, readContextMode, type PositionContext } from '../eval/context-modes';

const FLAGS = {
  server: 'string',
  model: 'string', strategies: 'string', files: 'string', positions: 'int', seed: 'int', json: 'bool', 'max-tokens': 'int', 'syntax-weight': 'string', layout: 'string', 'block-lines': 'int',
  healing: 'string', 'mid-identifier-share': 'string', records: 'string', context: 'string',
} as const;
const MAX_FILE_BYTES = 200_000;

/** A strategy to evaluate, optionally with the code-aware value ("mcts+syntax"). */
interface Arm {
  readonly label: string;
  readonly strategy: StrategyName;
  readonly syntax: boolean;
  readonly healing: boolean;
}

/** The best candidate as generated, before the stop rules (a dropped one included). */
function bestAsGenerated(r: CompletionResult): Candidate | undefined {
  const best = r.candidates[0];
  const dropped = r.dropped?.[0];
  return dropped && (!best || dropped.score >= best.score) ? dropped : best;
}

/** The scores a strategy ranks candidates by: its own, the likelihood ones, and MCTS's visits and value. */
function candidateScores(c: Candidate): Record<string, number> {
  return {
    score: c.score,
    sumLogprob: c.sumLogprob,
    meanLogprob: c.meanLogprob,
    ...(c.visits !== undefined ? { visits: c.visits } : {}),
    ...(c.value !== undefined ? { value: c.value } : {}),
  };
}

function readArms(spec: string | undefined, healing: string): Arm[] {
  const names = spec ? spec.split(',').map((s) => s.trim()).filter(Boolean) : [...STRATEGY_NAMES, 'entropy+syntax', 'mcts+syntax'];
  if (!['on', 'off', 'both'].includes(healing)) throw new CliUsageError('--healing must be on, off or both');
  const modes = healing === 'both' ? [true, false] : [healing === 'on'];
  return names.flatMap((label) => {
    const [name, extra] = label.split('+');
    if (!isStrategyName(name) || (extra !== undefined && extra !== 'syntax')) throw new CliUsageError(`unknown strategy ${quoteText(label)} (use ${STRATEGY_NAMES.join(', ')}, optionally with +syntax)`);
    return modes.map((on) => ({ label, strategy: name, syntax: extra === 'syntax', healing: on }));
  });
}

/** Held-out code: --files globs, else the packages the trained model never saw, else the examples. */
function readFiles(globs: string | undefined, root: string): EvalFile[] {
  let patterns: string[];
  if (globs) patterns = globs.split(',');
  else {
    const heldout = join(root, 'models', 'heldout.json');
    // Entries are package names or {name, dir} records (models/heldout.json of the trained model).
    const packages: (string | { name?: string; dir?: string })[] = existsSync(heldout) ? JSON.parse(readFileSync(heldout, 'utf8')).packages ?? [] : [];
    const dirs = packages.map((p) => (typeof p === 'string' ? `node_modules/${p}` : (p.dir ?? `node_modules/${p.name}`)));
    patterns = dirs.length ? dirs.map((d) => `${d}/**/*.{ts,js,mjs,cjs}`) : ['examples/**/*.ts'];
  }
  const names = globSync(patterns, { cwd: root, ignore: ['**/*.d.ts', '**/*.min.js', '**/node_modules/*/node_modules/**'] });
  const files = names
    .filter((n) => statSync(join(root, n)).size <= MAX_FILE_BYTES)
    .map((n) => ({ name: relative(root, join(root, n)), text: readFileSync(join(root, n), 'utf8') }))
    .filter((f) => !f.text.split('\n').some((l) => l.length > 500)); // minified or generated
  if (files.length === 0) throw new CliUsageError(`no files matched ${patterns.join(', ')}`);
  return files;
}

/** An integer flag within [lo, hi], or its default. */
function bounded(value: string | number | boolean | undefined, fallback: number, lo: number, hi: number, flag: string): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new CliUsageError(`${flag} must be an integer between ${lo} and ${hi}`);
  return n;
}

const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : 0);

export async function runEval(argv: readonly string[], root = process.cwd()): Promise<string> {
  const f = parseFlags(argv, FLAGS);
  const arms = readArms(f.strategies as string | undefined, String(f.healing ?? 'on'));
  const files = readFiles(f.files as string | undefined, root);
  const count = bounded(f.positions, 40, 1, 100_000, '--positions');
  const seed = bounded(f.seed, 1, 0, 2 ** 31 - 1, '--seed');
  const maxTokens = bounded(f['max-tokens'], 48, 1, 1024, '--max-tokens');
  const midShare = Number(f['mid-identifier-share'] ?? DEFAULT_MID_IDENTIFIER_SHARE);
  if (!(midShare >= 0 && midShare <= 1)) throw new CliUsageError('--mid-identifier-share must be a number between 0 and 1');
  const positions = pickPositions(files, count, seed, midShare);
  const closerPositions = pickCloserPositions(files, Math.min(count, 100), seed);
  const weight = Number(f['syntax-weight'] ?? 1);
  if (!Number.isFinite(weight) || weight < 0 || weight > 100) throw new CliUsageError('--syntax-weight must be a number between 0 and 100');
  const layout = String(f.layout ?? 'stable');
  if (layout !== 'stable' && layout !== 'legacy') throw new CliUsageError('--layout must be stable or legacy');
  // The legacy layout's window was whole lines back from the cursor: blocks of one line.
  const window = { ...DEFAULT_WINDOW, blockLines: Number(f['block-lines'] ?? (layout === 'legacy' ? 1 : DEFAULT_WINDOW.blockLines)) };
  if (!(window.blockLines >= 1 && window.blockLines <= 64)) throw new CliUsageError('--block-lines must be between 1 and 64');
  const contextMode = readContextMode(f.context);
  const contexts = await prepareContexts(contextMode, files, [...positions, ...closerPositions], window, root);
  const { server } = readServer(f);
  const modelPath = server ?? String(f.model ?? builtinModelPath());
  const loaded: CompletionBackend = server ? await connectCliServer(server) : await loadModel({ modelPath });
  const results: ArmResult[] = [];
  const records: Record<string, readonly GatingRecord[]> = {};
  let likelihood: Bits = { bits: 0, bytes: 0, each: [] };
  let withoutDefinitions: Bits | undefined;
  try {
    likelihood = await targetBits(loaded, positions, (p) => contexts.get(p)!.parts, layout, maxTokens);
    if (contextMode === 'definitions') withoutDefinitions = await targetBits(loaded, positions, (p) => contexts.get(p)!.withoutDefinitions, layout, maxTokens);
    // Greedy's suggestion at each position, for the signal "greedy agrees" (by healing mode).
    const greedy = new Map<boolean, readonly string[]>();
    for (const arm of arms) {
      const settings = { window, layout, maxTokens, weight, contexts } as const;
      const plain = arm.strategy === 'greedy' && !arm.syntax;
      if (!plain && !greedy.has(arm.healing)) greedy.set(arm.healing, (await runArm(loaded, { ...arm, label: 'greedy', strategy: 'greedy', syntax: false }, positions, [], settings)).shown);
      const run = await runArm(loaded, arm, positions, closerPositions, settings, greedy.get(arm.healing));
      if (plain) greedy.set(arm.healing, run.shown);
      results.push(run.result);
      records[`${arm.label}${arm.healing ? '' : ' (no healing)'}`] = run.records;
    }
  } finally {
    await loaded.dispose();
  }
  const targetBitsPerByte = likelihood.bits / Math.max(1, likelihood.bytes);
  const midIdentifierShare = positions.filter((p) => p.midIdentifier).length / Math.max(1, positions.length);
  const context = contextSummary(contextMode, positions, contexts, likelihood.each, withoutDefinitions?.each);
  if (f.records) writeFileSync(String(f.records), JSON.stringify({ model: modelPath, positions: positions.length, seed, records }));
  if (f.json) {
    return JSON.stringify({ model: modelPath, layout, blockLines: window.blockLines, files: files.length, positions: positions.length, midIdentifierShare, seed, targetBitsPerByte, context: context.figures, results });
  }
  return [
    formatTable(modelPath, files.length, positions.length, results),
    `${(100 * midIdentifierShare).toFixed(0)}% of positions cut inside an identifier; scores on the suggestion shown (the editor's stop rules)`,
    `true text after the prompt (${layout} layout): ${targetBitsPerByte.toFixed(3)} bits per byte`,
    ...context.lines,
    'gate: "useful" = first line exact; signal AUROCs over every shown suggestion, the predictor (its signals chosen by forward selection) fitted on half the files and measured on the other half at the threshold that keeps 80% of the fit half\'s useful suggestions plus one standard error',
  ].join('\n');
}

interface ArmSettings {
  readonly window: WindowOptions;
  readonly layout: 'stable' | 'legacy';
  readonly maxTokens: number;
  readonly weight: number;
  readonly contexts: ReadonlyMap<EvalPosition, PositionContext>;
}

/** One strategy over every position, as the editor would run it there (prompt window, stop rules, healing). */
async function runArm(loaded: CompletionBackend, arm: Arm, positions: readonly EvalPosition[], closerPositions: readonly EvalPosition[], o: ArmSettings, greedy?: readonly string[]): Promise<{ result: ArmResult; shown: string[]; records: GatingRecord[] }> {
  const scores: Scored[] = [];
  const shownTexts: string[] = [];
  const records: GatingRecord[] = [];
  const raw: { repeats: boolean; similarity: number }[] = [];
  const pairs = new Map<string, { score: number; quality: number }[][]>();
  const ms: number[] = [];
  let calls = 0;
  const run = (p: EvalPosition) => {
    const parts = o.contexts.get(p)?.parts ?? partsFromText(p.prefix, p.suffix, o.window);
    const stop = stopContextAt(p.prefix, p.suffix, parts.suffix);
    const request = completeRequest(loaded, {
      parts,
      strategy: arm.strategy,
      options: { maxTokens: o.maxTokens, seed: 1 },
      stop,
      ...(arm.syntax ? { codeAware: { weight: o.weight, languageId: languageOf(p.file) } } : {}),
      layout: o.layout,
      healing: arm.healing,
    });
    return { stop, request, window: textBeforeCursor(parts) };
  };
  for (const p of positions) {
    const oracle: SyntaxOracle | undefined = typescriptOracle(languageOf(p.file));
    const t0 = performance.now();
    const { stop, request, window } = run(p);
    const r = await request;
    ms.push(performance.now() - t0);
    calls += r.stats.modelCalls;
    const best = r.candidates[0];
    const shown = best?.shown?.text ?? '';
    const score = scorePosition(p, shown, oracle);
    scores.push({ ...score, repeatsSuffix: repeatsSuffix(stop.linePrefix, shown, p.suffix), midIdentifier: p.midIdentifier, crossFile: o.contexts.get(p)?.crossFile ?? false });
    // The gate decides only where there is a suggestion to show.
    if (shown.trim()) records.push({ file: p.file, signals: suggestionSignals(r, 0, greedy?.[shownTexts.length], { ...stop, window }), exactLine: score.exactLine, editSimilarity: score.editSimilarity });
    shownTexts.push(shown);
    // The best candidate as generated, before the stop rules: did it run into the text after the cursor?
    const rawBest = bestAsGenerated(r);
    raw.push({ repeats: rawBest?.shown?.reason === 'repeats-suffix', similarity: similarity(twoLines(rawBest?.text ?? '').trimEnd(), p.target.trimEnd()) });
    const ranked = [...r.candidates, ...(r.dropped ?? [])];
    for (const c of ranked) {
      const quality = similarity(twoLines(c.shown?.text ?? '').trimEnd(), p.target.trimEnd());
      for (const [key, score] of Object.entries(candidateScores(c))) {
        const list = pairs.get(key) ?? [];
        if (!pairs.has(key)) pairs.set(key, list);
        if (c === ranked[0]) list.push([]);
        list[list.length - 1]!.push({ score, quality });
      }
    }
  }
  let closerShown = 0;
  let closerRaw = 0;
  for (const p of closerPositions) {
    const { stop, request } = run(p);
    const r = await request;
    if (repeatsSuffix(stop.linePrefix, r.candidates[0]?.shown?.text ?? '', p.suffix)) closerShown++;
    if (bestAsGenerated(r)?.shown?.reason === 'repeats-suffix') closerRaw++;
  }
  const n = Math.max(1, closerPositions.length);
  const result: ArmResult = {
    strategy: arm.label,
    healing: arm.healing,
    ...figures(scores),
    closers: { positions: closerPositions.length, repeatsSuffix: closerShown / n, raw: { repeatsSuffix: closerRaw / n } },
    raw: { repeatsSuffix: raw.filter((x) => x.repeats).length / Math.max(1, raw.length), editSimilarity: raw.reduce((a, x) => a + x.similarity, 0) / Math.max(1, raw.length) },
    midIdentifier: figures(scores.filter((s) => s.midIdentifier)),
    boundary: figures(scores.filter((s) => !s.midIdentifier)),
    crossFile: figures(scores.filter((s) => s.crossFile)),
    sameFile: figures(scores.filter((s) => !s.crossFile)),
    medianMs: median(ms),
    modelCalls: calls / Math.max(1, scores.length),
    scoreQuality: Object.fromEntries([...pairs].map(([key, list]) => [key, scoreQuality(list)])),
    gating: { ...gatingFigures(records, 'exact-line').figures, similarity: gatingFigures(records, 'edit-similarity>=0.7').figures },
  };
  return { result, shown: shownTexts, records };
}

interface Bits {
  readonly bits: number;
  readonly bytes: number;
  /** Per position, in order. */
  readonly each: readonly { readonly bits: number; readonly bytes: number }[];
}

/** Bits the model needs for each position's true text after its prompt (teacher forcing), and the text's bytes. */
async function targetBits(loaded: CompletionBackend, positions: readonly EvalPosition[], partsOf: (p: EvalPosition) => PromptParts, layout: 'stable' | 'legacy', maxTokens: number): Promise<Bits> {
  const each: { bits: number; bytes: number }[] = [];
  for (const p of positions) {
    const target = await loaded.tokenizeText(p.target);
    const prompt = (await loaded.preparePrompt(partsOf(p), { maxNewTokens: Math.max(maxTokens, target.length + 1), layout })).tokens;
    each.push({ bits: -(await targetLogLikelihood(loaded.languageModel, prompt, target)) / Math.LN2, bytes: Buffer.byteLength(p.target, 'utf8') });
  }
  return { bits: each.reduce((n, e) => n + e.bits, 0), bytes: each.reduce((n, e) => n + e.bytes, 0), each };
}
