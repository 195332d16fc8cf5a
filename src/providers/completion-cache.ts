/**
 * Remembers shown suggestions by where they were shown, so that typing characters a suggestion
 * already contains reuses it without a model call, deleting back re-shows it, and accepting one
 * finds the suggestion prefetched for the position after it. A position is a document, a line and
 * column, the text before it and the text after it: what was typed since an entry is the text
 * between the two cursors, and the text before that must still end as the entry's did (the
 * window's top may have moved in between). The suffix must match too, or an edit elsewhere in
 * the line would resurrect a stale suggestion.
 */

export interface CachePosition {
  readonly documentKey: string;
  /** 0-based. */
  readonly line: number;
  readonly character: number;
  /** Text before the cursor (the prompt window's, so from some line above on). */
  readonly before: string;
  /** Text after the cursor. */
  readonly suffix: string;
}

interface Entry<T> {
  readonly line: number;
  readonly character: number;
  /** The end of the text before the entry's cursor. */
  readonly tail: string;
  readonly suffix: string;
  readonly items: readonly T[];
}

/** Characters of text before the cursor that identify a position. */
const TAIL_CHARS = 1000;

export class CompletionCache<T extends { readonly text: string }> {
  private readonly entries = new Map<string, Entry<T>[]>();

  constructor(private readonly maxPerDocument = 32) {}

  store(at: CachePosition, items: readonly T[]): void {
    if (items.length === 0) return;
    const tail = at.before.slice(-TAIL_CHARS);
    const list = (this.entries.get(at.documentKey) ?? []).filter((e) => !(e.line === at.line && e.character === at.character && e.tail === tail && e.suffix === at.suffix));
    list.push({ line: at.line, character: at.character, tail, suffix: at.suffix, items });
    if (list.length > this.maxPerDocument) list.shift();
    this.entries.set(at.documentKey, list);
  }

  /**
   * Suggestions still valid at `at`: an entry whose position the user has moved past by typing
   * characters a suggestion starts with; each returned item keeps only its remaining text.
   */
  lookup(at: CachePosition): T[] | undefined {
    const list = this.entries.get(at.documentKey);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i]!;
      if (e.suffix !== at.suffix) continue;
      const typedFrom = startOf(at, e.line, e.character);
      if (typedFrom === undefined || !at.before.slice(0, typedFrom).endsWith(e.tail)) continue;
      const typed = at.before.slice(typedFrom);
      const rest = e.items.filter((it) => it.text.startsWith(typed) && it.text.length > typed.length).map((it) => ({ ...it, text: it.text.slice(typed.length) }));
      if (rest.length > 0) return rest;
    }
    return undefined;
  }

  forget(documentKey: string): void {
    this.entries.delete(documentKey);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Index in `at.before` of the position (line, character), if it lies within it. */
function startOf(at: CachePosition, line: number, character: number): number | undefined {
  const linesBack = at.line - line;
  if (linesBack < 0 || (linesBack === 0 && character > at.character)) return undefined;
  let lineStart = at.before.length - at.character;
  for (let k = 0; k < linesBack; k++) {
    if (lineStart <= 0) return undefined;
    lineStart = lineStart < 2 ? 0 : at.before.lastIndexOf('\n', lineStart - 2) + 1;
  }
  const index = lineStart + character;
  const lineEnd = at.before.indexOf('\n', lineStart);
  return lineEnd >= 0 && index > lineEnd ? undefined : index;
}
