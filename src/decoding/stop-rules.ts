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

/** The stop rules' view of a cursor between `prefix` and `suffix`: its line, and the prompt window's suffix. */
export function stopContextAt(prefix: string, suffix: string, windowSuffix: string): StopContext {
  const lineEnd = suffix.indexOf('\n');
  return { linePrefix: prefix.slice(prefix.lastIndexOf('\n') + 1), lineSuffix: lineEnd < 0 ? suffix : suffix.slice(0, lineEnd), suffix: windowSuffix };
}

export function isMidLine(ctx: StopContext): boolean {
  return /\S/.test(ctx.lineSuffix);
}

/** A string literal that opens and closes on one line: its brackets are text, not code. */
const QUOTED = /(["'`])(?:\\.|(?!\1)[^\\])*\1/g;
const indentOf = (line: string) => /^[ \t]*/.exec(line)![0].length;

/**
 * Where a scan of a growing text stands: past its settled lines (all but the last two, whose
 * outcome the next characters can still change), with the bracket depth there. A path keeps one
 * per token, so each token rescans two lines, not the whole text.
 */
export interface StopScan {
  /** Index of the first line not settled, and its offset in the text. */
  readonly line: number;
  readonly offset: number;
  readonly depth: number;
  readonly opened: boolean;
}

/** The stop rule: whether a text holds a whole suggestion; `scan` resumes from an earlier scan of a prefix of the text. */
export interface StopRule {
  (text: string): boolean;
  scan(text: string, from?: StopScan): { readonly complete: boolean; readonly resume: StopScan };
}

/**
 * True once `text` holds a whole suggestion (generation can stop); `finishCompletion`
 * then cuts off whatever came after the end.
 */
export function isCompleteFor(ctx: StopContext): StopRule {
  // Asked after every token: the cursor line's brackets are counted once, not per call.
  const lineDepth = openedOnLine(ctx.linePrefix);
  const rule = (text: string) => endOfSuggestion(text, ctx, lineDepth).end < text.length;
  rule.scan = (text: string, from?: StopScan) => {
    const r = endOfSuggestion(text, ctx, lineDepth, from !== undefined && from.offset <= text.length ? from : undefined);
    return { complete: r.end < text.length, resume: r.resume };
  };
  return rule;
}

/** Why the end of a candidate is not in its suggestion. */
export type CutReason =
  /** The suggestion was whole before it (a statement or block ended, a line left the block). */
  | 'end-of-suggestion'
  /** It repeats the text right after the cursor: the rest of the line, or the next lines. */
  | 'repeats-suffix';

/** A candidate as the editor shows it, and where and why its raw text was cut. */
export interface FinishedText {
  /** The suggestion: cut, without trailing whitespace or an indent the user already typed. */
  readonly text: string;
  /** Characters of the raw text the suggestion covers; the rest was dropped. */
  readonly cutAt: number;
  /** Why the rest was dropped (absent when there was no rest, or only whitespace). */
  readonly reason?: CutReason;
}

/** The final text of a suggestion: cut at its end, no repeat of the suffix, no trailing whitespace. */
export function finishCompletion(text: string, ctx: StopContext): string {
  return finishCandidate(text, ctx).text;
}

/** finishCompletion, with where the raw text was cut and why (the panel marks it). */
export function finishCandidate(raw: string, ctx: StopContext): FinishedText {
  const end = endOfSuggestion(raw, ctx, openedOnLine(ctx.linePrefix)).end;
  const body = raw.slice(0, end).replace(/\s+$/, '');
  const cutAt = body.length - suffixOverlap(body, ctx);
  let text = raw.slice(0, cutAt).replace(/[ \t]+$/gm, '').replace(/\s+$/, '');
  // An indent typed before the cursor is already in the document.
  if (ctx.linePrefix.trim() === '' && ctx.linePrefix.length > 0) text = text.replace(/^[ \t]+/, '');
  const dropped = raw.slice(cutAt);
  if (dropped.trim() === '') return { text, cutAt };
  return { text, cutAt, reason: repeatsSuffix(dropped, ctx) ? 'repeats-suffix' : 'end-of-suggestion' };
}

/** Whether dropped text starts with what follows the cursor (ignoring whitespace around lines). */
function repeatsSuffix(dropped: string, ctx: StopContext): boolean {
  const ahead = ctx.suffix.trimStart();
  const head = dropped.trimStart();
  if (!ahead || !head) return false;
  const firstLine = (t: string) => t.split('\n', 1)[0].trimEnd();
  const a = firstLine(ahead);
  const h = firstLine(head);
  return a.startsWith(h) || h.startsWith(a);
}

/**
 * Brackets the cursor's line opened and did not close (string literals aside): the suggestion's to
 * close. After `if (` the `)` that closes it is not the end of a block, and the `{ … }` that follows
 * is the statement.
 */
function openedOnLine(linePrefix: string): number {
  return Math.max(0, depthOf(linePrefix.replace(QUOTED, '')));
}

/**
 * Index in `text` where the suggestion ends (text.length if it has not ended yet); `lineDepth` is
 * openedOnLine(ctx.linePrefix). `from` resumes a scan of a prefix of `text` whose settled lines
 * `text` keeps; `resume` is where the next scan of a longer text can start.
 */
function endOfSuggestion(text: string, ctx: StopContext, lineDepth: number, from?: StopScan): { end: number; resume: StopScan } {
  const fresh: StopScan = { line: 0, offset: 0, depth: lineDepth, opened: lineDepth > 0 };
  if (isMidLine(ctx)) {
    // No line break before `from.offset`; a text's last characters can still change (an unfinished
    // character completed), so the next scan starts a few before its end.
    const firstBreak = text.indexOf('\n', from?.offset ?? 0);
    const end = firstBreak < 0 ? text.length : firstBreak;
    return { end, resume: { ...fresh, offset: Math.max(0, Math.min(end, text.length - 8)) } };
  }
  // A resume point must sit just after a line break: one that does not (a changed line) is not used.
  const start = from !== undefined && (from.offset === 0 || text.charCodeAt(from.offset - 1) === 10) ? from : fresh;
  const baseIndent = indentOf(ctx.linePrefix);
  let { depth, opened, offset } = start;
  let resume = start;
  const done = (end: number) => ({ end, resume });
  // Lines are cut one at a time: a scan that ends early reads only the lines before its end.
  let next = lineAt(text, offset);
  for (let i = start.line; ; i++) {
    const { line, complete } = next;
    if (i > 0) {
      if (line.trim() === '' && complete) return done(offset - 1); // a blank line ends the suggestion
      // A line that dedents below the cursor's block belongs to the code after it.
      if (line.trim() !== '' && indentOf(line) < baseIndent && depth <= 0 && (complete || /\S/.test(line))) return done(offset - 1);
    }
    if (!complete) break; // the last line may still grow
    next = lineAt(text, offset + line.length + 1);
    // The last two lines are not settled: the next characters decide them.
    if (!next.complete) resume = { line: i, offset, depth, opened };
    for (const ch of line) {
      if (OPENERS.includes(ch)) {
        depth++;
        opened = true;
      } else if (CLOSERS.includes(ch)) {
        depth--;
      }
    }
    const trimmed = line.trim();
    const following = next.line;
    // A next line that starts with an operator or member access continues the statement;
    // while it holds only whitespace we cannot tell yet.
    const terminated = trimmed.endsWith(';');
    if (depth === 0 && !terminated && !next.complete && following.trim() === '') return done(text.length);
    if (depth === 0 && !terminated && /^\s*([.?:+\-*/&|]|=>)/.test(following)) {
      offset += line.length + 1;
      continue;
    }
    if (depth < 0) return done(offset + line.length); // closed a block the cursor was inside
    if (depth === 0 && (opened || i === 0) && trimmed !== '' && !/[{([:,=+\-*/&|?]$/.test(trimmed) && !(i === 0 && trimmed.endsWith(':'))) {
      return done(offset + line.length); // statement or opened block is complete
    }
    offset += line.length + 1;
  }
  return done(text.length);
}

/** The line of `text` that starts at `offset`, and whether a line break ends it. */
function lineAt(text: string, offset: number): { line: string; complete: boolean } {
  const end = text.indexOf('\n', offset);
  return end < 0 ? { line: text.slice(offset), complete: false } : { line: text.slice(offset, end), complete: true };
}

/** Net bracket depth of a text: above 0 when it opens more than it closes. */
function depthOf(text: string): number {
  let depth = 0;
  for (const ch of text) {
    if (OPENERS.includes(ch)) depth++;
    else if (CLOSERS.includes(ch)) depth--;
  }
  return depth;
}

/**
 * A dropped tail that closes brackets the kept text opened belongs to the suggestion, even when
 * the document has the same characters next ("if (a) {…}" typed above a "}" of the document).
 */
function closesOwnBrackets(kept: string, tail: string): boolean {
  return depthOf(kept) > 0 && /[)\]}]/.test(tail);
}

/** How many characters at the end of `text` the document already has right after the cursor. */
function suffixOverlap(text: string, ctx: StopContext): number {
  if (!text) return 0;
  const lineSuffix = ctx.lineSuffix.trim();
  if (lineSuffix) {
    // Mid-line: the suggestion should not retype the closing characters already there.
    for (let k = Math.min(lineSuffix.length, text.length); k > 0; k--) {
      if (text.endsWith(lineSuffix.slice(0, k)) && !closesOwnBrackets(text.slice(0, text.length - k), lineSuffix.slice(0, k))) return k;
    }
    return 0;
  }
  // Whole lines: drop trailing suggestion lines that equal the next lines of the document.
  // Indentation counts: a "  }" closing the suggestion's own block is not the document's "}".
  const next = ctx.suffix.replace(/^[^\n]*\n?/, '').split('\n').map((l) => l.trimEnd());
  const lines = text.split('\n');
  for (let k = Math.min(lines.length - 1, next.length); k > 0; k--) {
    const tail = lines.slice(lines.length - k).map((l) => l.trimEnd());
    if (!tail.every((l, i) => l === next[i]) || !tail.some((l) => l !== '')) continue;
    const kept = lines.slice(0, lines.length - k).join('\n');
    if (!closesOwnBrackets(kept, tail.join('\n'))) return text.length - kept.length;
  }
  return 0;
}
