/**
 * A declaration in outline without a parser, for languages TypeScript's cannot read: the
 * comment lines above it, its first line, and its body when short; a long body keeps only the
 * lines one level deeper that open something (members), in order, with `…` for the rest.
 */

export interface Outline {
  /** 0-based lines [first, last] of the declaration in its file. */
  readonly firstLine: number;
  readonly lastLine: number;
  readonly text: string;
}

export interface OutlineLimits {
  /** A body this many lines or shorter is kept whole. */
  readonly shortBody: number;
  /** Most lines in an outline. */
  readonly maxLines: number;
  /** The start of a member name typed after the receiver (`order.to|`): a container too long to list keeps the members it names. */
  readonly focus?: string;
}

export const DEFAULT_LIMITS: OutlineLimits = { shortBody: 8, maxLines: 40 };

const CONTAINER = /\b(class|struct|interface|trait|impl|enum|object|module|namespace|protocol|record)\b/;
const indentOf = (line: string) => line.length - line.trimStart().length;
const isComment = (line: string) => /^\s*(\/\/|#|\/\*|\*|"""|''')/.test(line);

export function lineOutline(text: string, line: number, limits: OutlineLimits = DEFAULT_LIMITS): Outline {
  const lines = text.split('\n');
  const start = Math.max(0, Math.min(line, lines.length - 1));
  let first = start;
  while (first > 0 && isComment(lines[first - 1]!) && start - first < 12) first--;
  const base = indentOf(lines[start]!);
  // The body: the lines after the first that are indented deeper (blank lines inside included),
  // and the closing line at the first's indentation when the first opens a bracket.
  let last = start;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.trim()) continue;
    if (indentOf(l) > base) last = i;
    else {
      if (indentOf(l) === base && /^\s*[)\]}]/.test(l)) last = i;
      break;
    }
  }
  const head = lines.slice(first, start + 1);
  const body = lines.slice(start + 1, last + 1);
  if (body.length <= limits.shortBody) return { firstLine: first, lastLine: last, text: clip([...head, ...body], limits.maxLines) };
  const inner = body.filter((l) => l.trim() && !/^\s*[)\]}]/.test(l));
  const memberIndent = inner.length ? Math.min(...inner.map(indentOf)) : base + 2;
  // A long function keeps its signature; only a container's members say what it offers.
  if (!CONTAINER.test(lines[start]!)) {
    const close = /^\s*[)\]}]/.test(body[body.length - 1]!) ? [body[body.length - 1]!] : [];
    return { firstLine: first, lastLine: last, text: clip([...head, ' '.repeat(memberIndent) + '…', ...close], limits.maxLines) };
  }
  const kept: string[] = [];
  let elided = false;
  for (let i = 0; i < body.length; i++) {
    const l = body[i]!;
    const member = l.trim() && indentOf(l) === memberIndent && !/^\s*[)\]}]/.test(l);
    const closing = i === body.length - 1 && /^\s*[)\]}]/.test(l);
    if (member || closing) {
      if (elided && kept.length) kept.push(' '.repeat(memberIndent + 2) + '…');
      kept.push(l);
      elided = false;
    } else if (l.trim()) elided = true;
  }
  if (elided) kept.push(' '.repeat(memberIndent + 2) + '…');
  return { firstLine: first, lastLine: last, text: clip([...head, ...kept], limits.maxLines) };
}

function clip(lines: string[], max: number): string {
  return (lines.length > max ? [...lines.slice(0, max), '…'] : lines).join('\n');
}
