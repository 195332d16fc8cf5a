import { IDENTIFIER, KEYWORDS, maskCode } from './code-mask';

/**
 * Which names at a cursor are worth a language server's definition: the ones whose declaration
 * the model cannot guess from the text it sees. Pure (no editor, no language service), so the
 * editor and the CLI ask about the same names.
 */

export type QueryReason = 'receiver' | 'callee' | 'signature-type' | 'block-name';

export interface DefinitionQuery {
  readonly name: string;
  /** Where the name stands in the document (0-based line and character of its first letter). */
  readonly line: number;
  readonly character: number;
  readonly reason: QueryReason;
  /** Ranking weight: the reason's, more uses and nearer the cursor weigh more. */
  readonly weight: number;
  /** Ask for the name's type's definition rather than its own (a receiver's members are on its type). */
  readonly typeDefinition: boolean;
  /** For a receiver: the start of the member name typed after it. */
  readonly member?: string;
}

export interface SelectionInput {
  readonly text: string;
  readonly languageId: string;
  /** Cursor offset in `text`. */
  readonly offset: number;
  /** Lines [first, last) the prompt window holds: a name declared there is not fetched. */
  readonly window: { readonly first: number; readonly last: number };
  /** Names in the enclosing function's signature types, where a parser knows them (ts-signature.ts). */
  readonly signatureTypes?: readonly { readonly name: string; readonly offset: number }[];
  /** Most queries returned; default 12. */
  readonly limit?: number;
}

const REASON_WEIGHT: Record<QueryReason, number> = { receiver: 100, callee: 80, 'signature-type': 60, 'block-name': 20 };
/** Lines of the cursor's block looked at on each side. */
const BLOCK_REACH = 60;

export function selectQueries(input: SelectionInput): DefinitionQuery[] {
  const masked = maskCode(input.text, input.languageId);
  const lines = lineStarts(input.text);
  const at = (offset: number) => position(lines, offset);
  const cursorLine = at(input.offset).line;
  const declared = declaredIn(masked, lines, input.window);
  const queries = new Map<string, DefinitionQuery>();
  const add = (name: string, offset: number, reason: QueryReason, bonus = 0, member?: string) => {
    if (KEYWORDS.has(name) || (reason !== 'receiver' && declared.has(name))) return;
    const p = at(offset);
    const weight = REASON_WEIGHT[reason] + bonus - Math.abs(p.line - cursorLine) / 10;
    const old = queries.get(name);
    if (old && old.weight >= weight) return;
    queries.set(name, { name, line: p.line, character: p.character, reason, weight, typeDefinition: reason === 'receiver', ...(member ? { member } : {}) });
  };

  const receiver = receiverBefore(masked, input.offset);
  if (receiver) add(receiver.name, receiver.offset, 'receiver', 0, receiver.member);
  const callee = openCallee(masked, input.offset);
  if (callee) add(callee.name, callee.offset, 'callee');
  for (const t of input.signatureTypes ?? headerTypes(masked, input.offset, input.languageId)) add(t.name, t.offset, 'signature-type');

  const block = blockAround(masked, lines, input.offset);
  const uses = new Map<string, { count: number; nearest: number }>();
  for (const m of masked.slice(block.from, block.to).matchAll(IDENTIFIER)) {
    const offset = block.from + m.index!;
    if (isMemberName(masked, offset) || /^\d/.test(m[0])) continue;
    const u = uses.get(m[0]) ?? { count: 0, nearest: offset };
    u.count++;
    if (Math.abs(offset - input.offset) < Math.abs(u.nearest - input.offset)) u.nearest = offset;
    uses.set(m[0], u);
  }
  for (const [name, u] of uses) add(name, u.nearest, 'block-name', 5 * Math.min(u.count - 1, 6));

  return [...queries.values()].sort((a, b) => b.weight - a.weight).slice(0, input.limit ?? 12);
}

/** `order.|`, `order.to|`, `a.b?.|`: the last name before the dot (`this` and literals excluded). */
export function receiverBefore(masked: string, offset: number): { name: string; offset: number; member: string } | undefined {
  const before = masked.slice(Math.max(0, offset - 300), offset);
  const m = /([A-Za-z_$][\w$]*)(\s*(?:\(\s*\))?)\s*(?:\?\.|\.|->|::)\s*([\w$]*)$/.exec(before);
  if (!m || m[1] === 'this' || m[1] === 'self') return undefined;
  return { name: m[1]!, offset: offset - before.length + m.index, member: m[3]! };
}

/** The function whose call's argument list holds the cursor: `total(order, |`. */
export function openCallee(masked: string, offset: number): { name: string; offset: number } | undefined {
  let depth = 0;
  for (let i = offset - 1; i >= Math.max(0, offset - 2000); i--) {
    const c = masked[i]!;
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '[' || c === '{') {
      if (depth === 0) return undefined;
      depth--;
    } else if (c === '(') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const m = /([A-Za-z_$][\w$]*)\s*(?:<[^<>()]*>)?\s*$/.exec(masked.slice(Math.max(0, i - 200), i));
      if (!m || KEYWORDS.has(m[1]!)) return undefined;
      return { name: m[1]!, offset: i - Math.min(i, 200) + m.index };
    } else if (c === ';' && depth === 0) return undefined;
  }
  return undefined;
}

/**
 * Without a parser: capitalised names in the header of the block holding the cursor (its
 * parameter list and return type), as type names are spelt in most languages.
 */
function headerTypes(masked: string, offset: number, languageId: string): { name: string; offset: number }[] {
  const header = blockHeader(masked, offset, languageId);
  if (!header) return [];
  const out: { name: string; offset: number }[] = [];
  const open = header.text.indexOf('(');
  if (open < 0) return out;
  for (const m of header.text.slice(open).matchAll(IDENTIFIER)) {
    if (/^[A-Z]/.test(m[0]) && !KEYWORDS.has(m[0])) out.push({ name: m[0], offset: header.from + open + m.index! });
  }
  return out;
}

/** The line that opens the cursor's block: the one with the unmatched `{`, or above it with less indentation. */
function blockHeader(masked: string, offset: number, languageId: string): { text: string; from: number } | undefined {
  if (languageId === 'python') {
    const lines = masked.slice(0, offset).split('\n');
    const indent = (l: string) => l.length - l.trimStart().length;
    const here = indent(lines[lines.length - 1]!.trim() ? lines[lines.length - 1]! : ' '.repeat(1e6));
    let from = offset - lines[lines.length - 1]!.length;
    for (let i = lines.length - 2; i >= 0; i--) {
      from -= lines[i]!.length + 1;
      if (lines[i]!.trim() && indent(lines[i]!) < here && /^\s*(async\s+)?def\s/.test(lines[i]!)) return { text: lines[i]!, from };
    }
    return undefined;
  }
  const open = unmatchedOpen(masked, offset, '{', '}');
  if (open < 0) return undefined;
  // The header may span lines (a long parameter list): back to the previous statement's end.
  let from = open;
  while (from > 0 && !';{}'.includes(masked[from - 1]!) && open - from < 600) from--;
  return { text: masked.slice(from, open), from };
}

function unmatchedOpen(masked: string, offset: number, open: string, close: string): number {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i--) {
    if (masked[i] === close) depth++;
    else if (masked[i] === open) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** The cursor's block: the braces around it (or the lines of its indentation), at most BLOCK_REACH lines each side. */
function blockAround(masked: string, lines: readonly number[], offset: number): { from: number; to: number } {
  const line = position(lines, offset).line;
  const lo = lines[Math.max(0, line - BLOCK_REACH)]!;
  const hi = line + BLOCK_REACH + 1 < lines.length ? lines[line + BLOCK_REACH + 1]! : masked.length;
  const open = unmatchedOpen(masked, offset, '{', '}');
  if (open < 0) return { from: lo, to: hi };
  let depth = 0;
  let close = hi;
  for (let i = offset; i < hi; i++) {
    if (masked[i] === '{') depth++;
    else if (masked[i] === '}') {
      if (depth === 0) {
        close = i;
        break;
      }
      depth--;
    }
  }
  // The header belongs to the block (a function's parameters are used in its body).
  const header = masked.lastIndexOf('\n', open) + 1;
  return { from: Math.max(lo, header), to: close };
}

const isMemberName = (masked: string, offset: number) => /(\?\.|\.|->|::)\s*$/.test(masked.slice(Math.max(0, offset - 4), offset));

/**
 * Names the window declares itself: `const x`, `function f`, `class C`, `def f`, parameters of a
 * header with a type annotation (`x: T`), and the targets of `x =` at a line's start. An imported
 * name is not one: its declaration is in the other file.
 */
function declaredIn(masked: string, lines: readonly number[], window: { first: number; last: number }): Set<string> {
  const from = lines[Math.max(0, Math.min(window.first, lines.length - 1))]!;
  const to = window.last < lines.length ? lines[window.last]! : masked.length;
  const text = masked.slice(from, to);
  const names = new Set<string>();
  const declaration = /\b(?:const|let|var|function\*?|class|interface|type|enum|def|struct|trait|fn|func|namespace)\s+([A-Za-z_$][\w$]*)/g;
  for (const m of text.matchAll(declaration)) names.add(m[1]!);
  for (const m of text.matchAll(/^\s*(?:export\s+)?([A-Za-z_$][\w$]*)\s*=[^=>]/gm)) names.add(m[1]!);
  for (const m of text.matchAll(/[(,]\s*([A-Za-z_$][\w$]*)\??\s*:\s*[A-Za-z_${[(]/g)) names.add(m[1]!);
  // Destructured and plain parameters of arrow functions and `function (a, b)`.
  for (const m of text.matchAll(/([\w$]*)\s*\(([^()]*)\)\s*(?::[^{;=]*)?(=>|\{)/g)) {
    if (m[3] === '{' && CONTROL.has(m[1]!)) continue;
    // A parameter's name, not its type or default value.
    for (const param of m[2]!.split(',')) for (const p of param.split(/[:=]/)[0]!.matchAll(IDENTIFIER)) names.add(p[0]);
  }
  for (const m of text.matchAll(/\b(?:for\s*\(\s*(?:const|let|var)\s*[[{]?)([^;=)]*?)\b(?:of|in)\b/g)) for (const p of m[1]!.matchAll(IDENTIFIER)) names.add(p[0]);
  return names;
}

const CONTROL = new Set(['if', 'while', 'for', 'switch', 'with', 'return']);

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

export function position(starts: readonly number[], offset: number): { line: number; character: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - starts[lo]! };
}
