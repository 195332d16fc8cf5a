/**
 * Where a suggestion ends, as users of editor completions expect: one line when the cursor
 * is mid-line; otherwise the current statement, or the block that the first line opens;
 * never past a line that leaves the cursor's block; never repeating the text after the
 * cursor; no trailing whitespace.
 */
export interface StopContext {
  /** Text after the cursor on its line. */
  readonly lineSuffix: string;
  /** Text before the cursor on its line. */
  readonly linePrefix: string;
  /** The document after the cursor (for the no-repeat rule). */
  readonly suffix: string;
}

const OPENERS = '([{';
const CLOSERS = ')]}';

export function isMidLine(ctx: StopContext): boolean {
  return /\S/.test(ctx.lineSuffix);
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0].length;

/**
 * True once `text` holds a whole suggestion (generation can stop); `finishCompletion`
 * then cuts off whatever came after the end.
 */
export function isCompleteFor(ctx: StopContext): (text: string) => boolean {
  return (text) => endOfSuggestion(text, ctx) < text.length;
}

/** The final text of a suggestion: cut at its end, no repeat of the suffix, no trailing whitespace. */
export function finishCompletion(text: string, ctx: StopContext): string {
  let out = text.slice(0, endOfSuggestion(text, ctx));
  out = out.replace(/[ \t]+$/gm, '').replace(/\s+$/, '');
  // An indent typed before the cursor is already in the document.
  if (ctx.linePrefix.trim() === '' && ctx.linePrefix.length > 0) out = out.replace(/^[ \t]+/, '');
  return removeSuffixOverlap(out, ctx);
}

/** Index in `text` where the suggestion ends (text.length if it has not ended yet). */
function endOfSuggestion(text: string, ctx: StopContext): number {
  const firstBreak = text.indexOf('\n');
  if (isMidLine(ctx)) return firstBreak < 0 ? text.length : firstBreak;
  const baseIndent = indentOf(ctx.linePrefix);
  let depth = 0;
  let opened = false;
  let offset = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const complete = i < lines.length - 1; // the last line may still grow
    if (i > 0) {
      if (line.trim() === '' && complete) return offset - 1; // a blank line ends the suggestion
      // A line that dedents below the cursor's block belongs to the code after it.
      if (line.trim() !== '' && indentOf(line) < baseIndent && depth <= 0 && (complete || /\S/.test(line))) return offset - 1;
    }
    for (const ch of line) {
      if (OPENERS.includes(ch)) {
        depth++;
        opened = true;
      } else if (CLOSERS.includes(ch)) {
        depth--;
      }
    }
    if (complete) {
      const trimmed = line.trim();
      const following = lines[i + 1];
      // A next line that starts with an operator or member access continues the statement;
      // while it holds only whitespace we cannot tell yet.
      const terminated = trimmed.endsWith(';');
      if (depth === 0 && !terminated && i + 1 === lines.length - 1 && following.trim() === '') return text.length;
      if (depth === 0 && !terminated && /^\s*([.?:+\-*/&|]|=>)/.test(following)) {
        offset += line.length + 1;
        continue;
      }
      if (depth < 0) return offset + line.length; // closed a block the cursor was inside
      if (depth === 0 && (opened || i === 0) && trimmed !== '' && !/[{([:,=+\-*/&|?]$/.test(trimmed) && !(i === 0 && trimmed.endsWith(':'))) {
        return offset + line.length; // statement or opened block is complete
      }
    }
    offset += line.length + 1;
  }
  return text.length;
}

/** Drops the end of the suggestion that the document already has right after the cursor. */
function removeSuffixOverlap(text: string, ctx: StopContext): string {
  if (!text) return text;
  const lineSuffix = ctx.lineSuffix.trim();
  if (lineSuffix) {
    // Mid-line: the suggestion should not retype the closing characters already there.
    for (let k = Math.min(lineSuffix.length, text.length); k > 0; k--) {
      if (text.endsWith(lineSuffix.slice(0, k))) return text.slice(0, text.length - k);
    }
    return text;
  }
  // Whole lines: drop trailing suggestion lines that equal the next lines of the document.
  // Indentation counts: a "  }" closing the suggestion's own block is not the document's "}".
  const next = ctx.suffix.replace(/^[^\n]*\n?/, '').split('\n').map((l) => l.trimEnd());
  const lines = text.split('\n');
  for (let k = Math.min(lines.length - 1, next.length); k > 0; k--) {
    const tail = lines.slice(lines.length - k).map((l) => l.trimEnd());
    if (tail.every((l, i) => l === next[i]) && tail.some((l) => l !== '')) return lines.slice(0, lines.length - k).join('\n');
  }
  return text;
}
