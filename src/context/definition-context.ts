import type { ContextChunk, LineSource, PromptParts } from '../decoding/prompt-parts';
import { loadTypescript } from '../syntax/typescript-oracle';
import { selectQueries, type DefinitionQuery } from './cursor-identifiers';
import type { DefinitionResolver, DefinitionTarget, ResolverDocument } from './definition-resolver';
import { DEFAULT_LIMITS, lineOutline, type Outline } from './line-outline';
import { parse, scriptKindFor, signatureTypeNames, tsOutline } from './ts-outline';

/** One declaration the prompt holds, for the panel and the log. */
export interface UsedDefinition {
  readonly file: string;
  readonly path: string;
  readonly symbol: string;
  /** 0-based lines [firstLine, lastLine] of the declaration in its file. */
  readonly firstLine: number;
  readonly lastLine: number;
}

export interface DefinitionContext {
  /** In the prompt's order: the most useful last, next to the current file. */
  readonly chunks: readonly ContextChunk[];
  readonly used: readonly UsedDefinition[];
}

/** The share of tokentree.context.budgetChars definitions may take; the ring's chunks get what they leave. */
export const definitionsBudget = (totalChars: number) => Math.floor((totalChars * 2) / 3);

/** Lines [first, last) of the document that the parts hold. */
export function windowLines(parts: Pick<PromptParts, 'blocks' | 'middle' | 'suffix'>, cursorLine: number): { first: number; last: number } {
  const suffixLines = (parts.suffix.match(/\n/g) ?? []).length;
  return { first: parts.blocks[0]?.line ?? cursorLine - (parts.middle.match(/\n/g) ?? []).length, last: cursorLine + suffixLines + 1 };
}

/** A document's text and the cursor's offset in it. */
export function textAt(document: LineSource, line: number, character: number): { text: string; offset: number } {
  const lines: string[] = [];
  for (let i = 0; i < document.lineCount; i++) lines.push(document.lineAt(i));
  let offset = character;
  for (let i = 0; i < line; i++) offset += lines[i]!.length + 1;
  return { text: lines.join('\n'), offset };
}

export const NO_DEFINITIONS: DefinitionContext = { chunks: [], used: [] };

export interface GatherInput {
  readonly doc: ResolverDocument;
  readonly offset: number;
  /** Lines [first, last) of the document the prompt window holds. */
  readonly window: { readonly first: number; readonly last: number };
  readonly resolver: DefinitionResolver;
  /** Characters the definitions may take (labels included). */
  readonly budgetChars: number;
  /** The language server's deadline: after it, the definitions known so far (often none). */
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
}

/** Files whose declarations every model knows already (the language's own library). */
const LANGUAGE_LIBRARY = /(^|[\\/])typescript[\\/]lib[\\/]lib\.[^\\/]*\.d\.ts$|[\\/]@types[\\/]node[\\/]/;

/** Asks the resolver about the names that matter at the cursor and fits their declarations, in outline, into the budget. */
export async function gatherDefinitions(input: GatherInput): Promise<DefinitionContext> {
  if (input.budgetChars <= 0) return NO_DEFINITIONS;
  const queries = selectQueries({
    text: input.doc.text, languageId: input.doc.languageId, offset: input.offset, window: input.window,
    signatureTypes: tsSignatureTypes(input.doc, input.offset),
  });
  if (queries.length === 0) return NO_DEFINITIONS;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), input.deadlineMs);
  const onAbort = () => deadline.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  let targets: readonly (readonly DefinitionTarget[])[];
  try {
    targets = await Promise.race([
      input.resolver.resolve(input.doc, queries, deadline.signal),
      new Promise<never[]>((resolve) => deadline.signal.addEventListener('abort', () => resolve([]), { once: true })),
    ]);
  } catch {
    targets = [];
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
  }
  return fitDefinitions(input.doc.file, input.window, queries, targets, input.budgetChars);
}

/** Outlines of the resolved declarations, without those the window holds, best first within the budget. */
export function fitDefinitions(
  file: string, window: { first: number; last: number }, queries: readonly DefinitionQuery[],
  targets: readonly (readonly DefinitionTarget[])[], budgetChars: number,
): DefinitionContext {
  const found = new Map<string, { outline: Outline; target: DefinitionTarget; symbol: string; weight: number }>();
  queries.forEach((q, i) => {
    for (const t of targets[i] ?? []) {
      if (LANGUAGE_LIBRARY.test(t.file)) continue;
      const outline = outlineAt(t, q.member);
      if (!outline.text.trim()) continue;
      if (t.file === file && outline.firstLine < window.last && outline.lastLine >= window.first) continue;
      const key = `${t.file}\n${outline.firstLine}`;
      const old = found.get(key);
      // A declaration more names lead to weighs more.
      if (old) old.weight = Math.max(old.weight, q.weight) + 5;
      else found.set(key, { outline, target: t, symbol: q.name, weight: q.weight });
    }
  });
  const ranked = [...found.values()].sort((a, b) => b.weight - a.weight);
  const kept: typeof ranked = [];
  let used = 0;
  const labelled = new Set<string>();
  for (const d of ranked) {
    const size = d.outline.text.length + 1 + (labelled.has(d.target.path) ? 1 : d.target.path.length + 2);
    if (used + size > budgetChars) continue;
    kept.push(d);
    labelled.add(d.target.path);
    used += size;
  }
  // One chunk per file, its declarations in file order; the file of the best declaration goes last.
  const byFile = new Map<string, typeof kept>();
  for (const d of kept) byFile.set(d.target.path, [...(byFile.get(d.target.path) ?? []), d]);
  const files = [...byFile.entries()].reverse();
  return {
    chunks: files.map(([path, ds]) => ({ path, text: [...ds].sort((a, b) => a.outline.firstLine - b.outline.firstLine).map((d) => d.outline.text).join('\n\n') })),
    used: files.flatMap(([, ds]) => ds.map((d) => ({ file: d.target.file, path: d.target.path, symbol: d.symbol, firstLine: d.outline.firstLine, lastLine: d.outline.lastLine }))),
  };
}

function outlineAt(t: DefinitionTarget, focus: string | undefined): Outline {
  const ts = typescriptFor(t.file);
  const source = ts && parse(ts, fileName(t.file), t.text);
  const limits = { ...DEFAULT_LIMITS, ...(focus ? { focus } : {}) };
  return ts && source ? tsOutline(ts, source, t.line, t.character, limits) : lineOutline(t.text, t.line, limits);
}

function tsSignatureTypes(doc: ResolverDocument, offset: number): { name: string; offset: number }[] | undefined {
  const ts = typescriptFor(doc.file);
  const source = ts && parse(ts, fileName(doc.file), doc.text);
  return ts && source ? signatureTypeNames(ts, source, offset) : undefined;
}

let ts: typeof import('typescript') | undefined;
/** TypeScript's parser for a TypeScript or JavaScript file, loaded on first use. */
function typescriptFor(file: string) {
  const probe = fileName(file);
  if (!/\.(m|c)?[jt]sx?$/i.test(probe)) return undefined;
  ts ??= loadTypescript();
  return scriptKindFor(ts, probe) === undefined ? undefined : ts;
}

/** The file name part of a path or URI, enough for a parser to tell the language. */
const fileName = (file: string) => file.replace(/[?#].*$/, '').split(/[\\/]/).pop() ?? file;
