import { dirname, join } from 'node:path';
import { maskCode, IDENTIFIER } from '../context/code-mask';
import { lineStarts, position } from '../context/cursor-identifiers';
import { definitionsBudget, gatherDefinitions, windowLines, type DefinitionContext } from '../context/definition-context';
import { TsServiceResolver } from '../context/ts-service-resolver';
import { CLI_DEADLINE_MS } from '../context/cli-definitions';
import { partsFromText, textBeforeCursor, type ContextChunk, type PromptParts, type WindowOptions } from '../decoding/prompt-parts';
import { ContextRing } from '../providers/context-ring';
import { languageOf } from '../syntax/typescript-oracle';
import type { EvalFile, EvalPosition } from './positions';
import { CliUsageError } from '../cli/errors';

/**
 * The context from other files an evaluation gives each position, as the editor would:
 *   none:        the current file only;
 *   ring:        chunks of files "recently looked at": the first lines of the files next to the
 *                current one in its folder (the CLI has no editing history to replay);
 *   definitions: the ring and the declarations TypeScript's language service finds for the names
 *                at the cursor, in outline (src/context), within the same budget as the editor.
 * The language service reads the file as the editor would hold it at the cursor: without the true
 * text. A position is cross-file when its true text uses a name that the window does not hold and
 * that is declared in another file of its package (the service on the file as it really is).
 */
export type ContextMode = 'none' | 'ring' | 'definitions';
export const CONTEXT_MODES: readonly ContextMode[] = ['none', 'ring', 'definitions'];

/** The editor's default tokentree.context.budgetChars. */
export const EVAL_BUDGET_CHARS = 3000;
const RING_NEIGHBOURS = 8;

export interface PositionContext {
  /** The prompt for the evaluated mode. */
  readonly parts: PromptParts;
  /** The same prompt without definitions (the ring's chunks only), where the mode adds definitions. */
  readonly withoutDefinitions: PromptParts;
  readonly crossFile: boolean;
  readonly definitions: DefinitionContext;
}

export async function prepareContexts(
  mode: ContextMode, files: readonly EvalFile[], positions: readonly EvalPosition[], window: WindowOptions, root: string,
): Promise<Map<EvalPosition, PositionContext>> {
  const editing = new TsServiceResolver();
  const truth = new TsServiceResolver();
  const out = new Map<EvalPosition, PositionContext>();
  try {
    for (const p of positions) {
      const base = partsFromText(p.prefix, p.suffix, window);
      const file = join(root, p.file);
      const languageId = languageOf(p.file);
      const crossFile = isCrossFile(truth, file, p, base, languageId);
      let definitions: DefinitionContext = { chunks: [], used: [] };
      let ring: ContextChunk[] = [];
      if (mode !== 'none') ring = ringFor(p.file, files, EVAL_BUDGET_CHARS);
      if (mode === 'definitions') {
        const cursor = position(lineStarts(p.prefix + p.suffix), p.prefix.length);
        definitions = await gatherDefinitions({
          doc: { file, text: p.prefix + p.suffix, languageId }, offset: p.prefix.length, window: windowLines(base, cursor.line),
          resolver: editing, budgetChars: definitionsBudget(EVAL_BUDGET_CHARS), deadlineMs: CLI_DEADLINE_MS,
        });
        const definitionChars = definitions.chunks.reduce((n, c) => n + c.path.length + c.text.length + 2, 0);
        ring = ringFor(p.file, files, EVAL_BUDGET_CHARS - definitionChars);
      }
      const withoutDefinitions = { ...base, extra: ring, path: p.file, comment: '//' };
      out.set(p, { parts: { ...withoutDefinitions, extra: [...ring, ...definitions.chunks] }, withoutDefinitions, crossFile, definitions });
    }
  } finally {
    editing.dispose();
    truth.dispose();
  }
  return out;
}

/** The first lines of the files nearest the current one (by name) in its folder, nearest last. */
function ringFor(name: string, files: readonly EvalFile[], budgetChars: number): ContextChunk[] {
  if (budgetChars <= 0) return [];
  const folder = dirname(name);
  const siblings = files.filter((f) => dirname(f.name) === folder && f.name !== name).map((f) => f.name).sort();
  const at = siblings.findIndex((n) => n > name);
  const ordered = siblings
    .map((n, i) => ({ n, distance: Math.abs((at < 0 ? siblings.length : at) - i - 0.5) }))
    .sort((a, b) => b.distance - a.distance)
    .slice(-RING_NEIGHBOURS);
  const ring = new ContextRing();
  for (const { n } of ordered) {
    const text = files.find((f) => f.name === n)!.text.split('\n');
    const w = ring.window(0, text.length);
    ring.add(n, n.split('/').slice(-2).join('/'), text.slice(w.first, w.last).join('\n'));
  }
  return ring.snapshot(budgetChars, name);
}

/** Whether the true text uses a name the window lacks and another file of the package declares. */
function isCrossFile(truth: TsServiceResolver, file: string, p: EvalPosition, parts: PromptParts, languageId: string): boolean {
  if (!/^(typescript|javascript)/.test(languageId)) return false;
  const windowText = `${textBeforeCursor(parts)}${parts.suffix}`;
  const seen = new Set<string>();
  const original = p.prefix + p.target + p.suffix;
  // A cut inside a name: the whole name is what the true text uses.
  const from = p.prefix.length - (/[\w$]*$/.exec(p.prefix)?.[0].length ?? 0);
  const masked = maskCode(original, languageId).slice(from, p.prefix.length + p.target.length);
  for (const m of masked.matchAll(IDENTIFIER)) {
    const name = m[0];
    if (seen.has(name) || new RegExp(`(^|[^\\w$])${name.replace(/\$/g, '\\$')}($|[^\\w$])`).test(windowText)) continue;
    seen.add(name);
    for (const d of truth.declarationsAt(file, original, from + m.index!)) {
      if (d.file !== file && !d.path.startsWith('..') && !d.path.includes('node_modules/')) return true;
    }
  }
  return false;
}

export function readContextMode(value: string | number | boolean | undefined): ContextMode {
  const mode = String(value ?? 'none');
  if (!(CONTEXT_MODES as readonly string[]).includes(mode)) throw new CliUsageError(`--context must be ${CONTEXT_MODES.join(', ')}`);
  return mode as ContextMode;
}

interface BitsGroup {
  readonly positions: number;
  /** Bits per byte of the true text after the evaluated prompt. */
  readonly bitsPerByte: number;
  /** The same without definitions (the ring only), with --context definitions. */
  readonly bitsPerByteWithoutDefinitions?: number;
}

export interface ContextFigures {
  readonly mode: ContextMode;
  readonly crossFile: BitsGroup;
  readonly sameFile: BitsGroup;
  /** Positions whose prompt holds at least one definition, and the mean characters of definitions per position. */
  readonly definitions: { readonly positions: number; readonly meanChars: number };
}

/** The likelihood figures split by cross-file positions, for --json and the summary lines. */
export function contextSummary(
  mode: ContextMode, positions: readonly EvalPosition[], contexts: ReadonlyMap<EvalPosition, PositionContext>,
  bits: readonly { bits: number; bytes: number }[], without?: readonly { bits: number; bytes: number }[],
): { figures: ContextFigures; lines: string[] } {
  const group = (cross: boolean): BitsGroup => {
    const at = positions.map((p, i) => ({ p, i })).filter(({ p }) => contexts.get(p)?.crossFile === cross).map(({ i }) => i);
    const rate = (list: readonly { bits: number; bytes: number }[]) => at.reduce((n, i) => n + list[i]!.bits, 0) / Math.max(1, at.reduce((n, i) => n + list[i]!.bytes, 0));
    return { positions: at.length, bitsPerByte: rate(bits), ...(without ? { bitsPerByteWithoutDefinitions: rate(without) } : {}) };
  };
  const sizes = positions.map((p) => (contexts.get(p)?.definitions.chunks ?? []).reduce((n, c) => n + c.text.length, 0));
  const figures: ContextFigures = {
    mode, crossFile: group(true), sameFile: group(false),
    definitions: { positions: sizes.filter((n) => n > 0).length, meanChars: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length) },
  };
  const describe = (name: string, g: BitsGroup) =>
    `${name}: ${g.positions} positions, ${g.bitsPerByte.toFixed(3)} bits per byte${g.bitsPerByteWithoutDefinitions === undefined ? '' : ` (without definitions ${g.bitsPerByteWithoutDefinitions.toFixed(3)}, ratio ${(g.bitsPerByte / g.bitsPerByteWithoutDefinitions).toFixed(2)})`}`;
  const lines = [
    `context from other files: ${mode}${mode === 'definitions' ? `; definitions at ${figures.definitions.positions} positions, ${figures.definitions.meanChars.toFixed(0)} characters a position on average` : ''}`,
    describe('cross-file positions (the true text uses a name declared in another file of the package, missing from the window)', figures.crossFile),
    describe('other positions', figures.sameFile),
  ];
  return { figures, lines };
}
