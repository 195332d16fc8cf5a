/**
 * Remembers shown suggestions by the text before the cursor, so that typing characters a
 * suggestion already contains reuses it without a model call, and deleting back re-shows
 * it. Keys are per document; the suffix must match too, or an edit elsewhere in the line
 * would resurrect a stale suggestion.
 */
export interface CachedSuggestions<T> {
  readonly prefix: string;
  readonly suffix: string;
  readonly items: readonly T[];
}

export class CompletionCache<T extends { readonly text: string }> {
  private readonly entries = new Map<string, CachedSuggestions<T>[]>();

  constructor(private readonly maxPerDocument = 32) {}

  store(documentKey: string, prefix: string, suffix: string, items: readonly T[]): void {
    if (items.length === 0) return;
    const list = this.entries.get(documentKey) ?? [];
    const at = list.findIndex((e) => e.prefix === prefix && e.suffix === suffix);
    if (at >= 0) list.splice(at, 1);
    list.push({ prefix, suffix, items });
    if (list.length > this.maxPerDocument) list.shift();
    this.entries.set(documentKey, list);
  }

  /**
   * Suggestions still valid at `prefix`: an entry whose prefix the user has extended by
   * characters each suggestion starts with; each returned item keeps only its remaining text.
   */
  lookup(documentKey: string, prefix: string, suffix: string): T[] | undefined {
    const list = this.entries.get(documentKey);
    if (!list) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i];
      if (e.suffix !== suffix || !prefix.startsWith(e.prefix)) continue;
      const typed = prefix.slice(e.prefix.length);
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
