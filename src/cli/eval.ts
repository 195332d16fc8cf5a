import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { globSync } from 'tinyglobby';
import { isStrategyName, STRATEGY_NAMES } from '../decoding/strategies';
import type { StrategyName } from '../decoding/strategy';
import { bracketOracle, syntaxAwareValue, type SyntaxOracle } from '../decoding/value';
import { scorePosition, twoLines, type PositionScore } from '../eval/metrics';
import { targetLogLikelihood } from '../eval/likelihood';
import { pickPositions, type EvalFile, type EvalPosition } from '../eval/positions';
import { DEFAULT_WINDOW, partsFromText, type WindowOptions } from '../decoding/prompt-parts';
import { builtinModelPath } from '../model/builtin';
import { completeAt } from '../engine/complete';
import { loadModel, type LoadedModel } from '../model/load';
import { languageOf, typescriptOracle } from '../syntax/typescript-oracle';
import { parseFlags } from './args';
import { CliUsageError } from './errors';

const FLAGS = { model: 'string', strategies: 'string', files: 'string', positions: 'int', seed: 'int', json: 'bool', 'max-tokens': 'int', 'syntax-weight': 'string', layout: 'string', 'block-lines': 'int' } as const;
const MAX_FILE_BYTES = 200_000;

/** A strategy to evaluate, optionally with the code-aware value ("mcts+syntax"). */
interface Arm {
  readonly label: string;
  readonly strategy: StrategyName;
  readonly syntax: boolean;
}

export interface ArmResult {
  readonly strategy: string;
  readonly positions: number;
  readonly exactLine: number;
  readonly exactNextLine: number;
  readonly editSimilarity: number;
  /** Share of positions (with a parser) whose file still parses; null without a parser. */
  readonly parses: number | null;
  readonly medianMs: number;
  readonly meanModelCalls: number;
}

function readArms(spec: string | undefined): Arm[] {
  const names = spec ? spec.split(',').map((s) => s.trim()).filter(Boolean) : [...STRATEGY_NAMES, 'entropy+syntax', 'mcts+syntax'];
  return names.map((label) => {
    const [name, extra] = label.split('+');
    if (!isStrategyName(name) || (extra !== undefined && extra !== 'syntax')) throw new CliUsageError(`unknown strategy "${label}" (use ${STRATEGY_NAMES.join(', ')}, optionally with +syntax)`);
    return { label, strategy: name, syntax: extra === 'syntax' };
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
  const arms = readArms(f.strategies as string | undefined);
  const files = readFiles(f.files as string | undefined, root);
  const count = bounded(f.positions, 40, 1, 100_000, '--positions');
  const seed = bounded(f.seed, 1, 0, 2 ** 31 - 1, '--seed');
  const maxTokens = bounded(f['max-tokens'], 48, 1, 1024, '--max-tokens');
  const positions = pickPositions(files, count, seed);
  const weight = Number(f['syntax-weight'] ?? 1);
  if (!Number.isFinite(weight) || weight < 0 || weight > 100) throw new CliUsageError('--syntax-weight must be a number between 0 and 100');
  const layout = String(f.layout ?? 'stable');
  if (layout !== 'stable' && layout !== 'legacy') throw new CliUsageError('--layout must be stable or legacy');
  // The legacy layout's window was whole lines back from the cursor: blocks of one line.
  const window = { ...DEFAULT_WINDOW, blockLines: Number(f['block-lines'] ?? (layout === 'legacy' ? 1 : DEFAULT_WINDOW.blockLines)) };
  if (!(window.blockLines >= 1 && window.blockLines <= 64)) throw new CliUsageError('--block-lines must be between 1 and 64');
  const modelPath = String(f.model ?? builtinModelPath());
  const loaded = await loadModel({ modelPath });
  const results: ArmResult[] = [];
  let likelihood: { bits: number; bytes: number } = { bits: 0, bytes: 0 };
  try {
    likelihood = await targetBits(loaded, positions, window, layout, maxTokens);
    for (const arm of arms) {
      const scores: PositionScore[] = [];
      const ms: number[] = [];
      let calls = 0;
      for (const p of positions) {
        const oracle: SyntaxOracle | undefined = typescriptOracle(languageOf(p.file));
        const value = arm.syntax ? syntaxAwareValue(oracle ?? bracketOracle, p.prefix, p.suffix, weight) : undefined;
        const t0 = performance.now();
        const r = await completeAt(loaded, {
          parts: partsFromText(p.prefix, p.suffix, window),
          layout,
          strategy: arm.strategy,
          options: { maxTokens, seed: 1, isComplete: (t: string) => twoLines(t) !== t, ...(value ? { value } : {}) },
        });
        ms.push(performance.now() - t0);
        calls += r.stats.modelCalls;
        scores.push(scorePosition(p, r.candidates[0]?.text ?? '', oracle));
      }
      const share = (pred: (s: PositionScore) => boolean) => scores.filter(pred).length / Math.max(1, scores.length);
      const parsed = scores.filter((s) => s.parses !== null);
      results.push({
        strategy: arm.label,
        positions: scores.length,
        exactLine: share((s) => s.exactLine),
        exactNextLine: share((s) => s.exactNextLine),
        editSimilarity: scores.reduce((a, s) => a + s.editSimilarity, 0) / Math.max(1, scores.length),
        parses: parsed.length ? parsed.filter((s) => s.parses).length / parsed.length : null,
        medianMs: median(ms),
        meanModelCalls: calls / Math.max(1, scores.length),
      });
    }
  } finally {
    await loaded.dispose();
  }
  const targetBitsPerByte = likelihood.bits / Math.max(1, likelihood.bytes);
  if (f.json) {
    return JSON.stringify({ model: modelPath, layout, blockLines: window.blockLines, files: files.length, positions: positions.length, seed, targetBitsPerByte, results });
  }
  return [formatTable(modelPath, files.length, positions.length, results), `true text after the prompt (${layout} layout): ${targetBitsPerByte.toFixed(3)} bits per byte`].join('\n');
}

/** Bits the model needs for each position's true text after its prompt (teacher forcing), and the text's bytes. */
async function targetBits(loaded: LoadedModel, positions: readonly EvalPosition[], window: WindowOptions, layout: 'stable' | 'legacy', maxTokens: number) {
  let bits = 0;
  let bytes = 0;
  for (const p of positions) {
    const target = loaded.tokenize(p.target);
    const prompt = loaded.buildPrompt(partsFromText(p.prefix, p.suffix, window), { maxNewTokens: Math.max(maxTokens, target.length + 1), layout }).tokens;
    bits -= (await targetLogLikelihood(loaded.languageModel, prompt, target)) / Math.LN2;
    bytes += Buffer.byteLength(p.target, 'utf8');
  }
  return { bits, bytes };
}

function formatTable(model: string, files: number, positions: number, results: readonly ArmResult[]): string {
  const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const rows = [['strategy', 'exact line', 'exact next', 'edit sim', 'parses', 'median ms', 'calls']];
  for (const r of results) rows.push([r.strategy, pct(r.exactLine), pct(r.exactNextLine), r.editSimilarity.toFixed(3), pct(r.parses), r.medianMs.toFixed(1), r.meanModelCalls.toFixed(1)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return [`model ${model} · ${positions} positions from ${files} files`, ...table].join('\n');
}
