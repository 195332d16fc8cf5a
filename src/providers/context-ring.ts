import type { ContextChunk } from '../decoding/prompt-parts';

/**
 * Context from other files, as llama.vscode does it: a ring buffer of chunks of recently
 * edited, saved or opened files, taken into the prompt within a character budget, newest
 * first. Chunks are lines around where the user worked, so the model sees the names and
 * shapes the user is using right now.
 */
export interface Chunk {
  readonly uri: string;
  readonly label: string;
  readonly text: string;
}

export class ContextRing {
  private chunks: Chunk[] = [];

  constructor(
    private readonly capacity = 16,
    readonly linesPerChunk = 32,
  ) {}

  /** Lines [first, last) of a document to take around `line` (0-based). */
  window(line: number, lineCount: number): { first: number; last: number } {
    const first = Math.max(0, Math.min(line - Math.floor(this.linesPerChunk / 2), lineCount - this.linesPerChunk));
    return { first, last: Math.min(lineCount, first + this.linesPerChunk) };
  }

  /** Records a chunk of a document (the lines of `window` around where the user works). */
  add(uri: string, label: string, chunkText: string): void {
    if (chunkText.trim().length < 16) return;
    // A chunk that overlaps a newer one of the same file replaces it.
    this.chunks = this.chunks.filter((c) => !(c.uri === uri && overlaps(c.text, chunkText)));
    this.chunks.push({ uri, label, text: chunkText });
    if (this.chunks.length > this.capacity) this.chunks.shift();
  }

  forget(uri: string): void {
    this.chunks = this.chunks.filter((c) => c.uri !== uri);
  }

  /** The newest chunks of other files whose labels and texts fit in `budgetChars`, oldest first. */
  snapshot(budgetChars: number, excludeUri: string): ContextChunk[] {
    const taken: ContextChunk[] = [];
    let used = 0;
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const c = this.chunks[i]!;
      const size = c.label.length + c.text.length + 2;
      if (c.uri === excludeUri || used + size > budgetChars) continue;
      taken.push({ path: c.label, text: c.text });
      used += size;
    }
    return taken.reverse();
  }

  get size(): number {
    return this.chunks.length;
  }
}

function overlaps(a: string, b: string): boolean {
  const linesA = new Set(a.split('\n').filter((l) => l.trim()));
  const linesB = b.split('\n').filter((l) => l.trim());
  if (linesB.length === 0) return false;
  const shared = linesB.filter((l) => linesA.has(l)).length;
  return shared / linesB.length > 0.5;
}

export function sameChunks(a: readonly ContextChunk[], b: readonly ContextChunk[]): boolean {
  return a.length === b.length && a.every((c, i) => c.path === b[i]!.path && c.text === b[i]!.text);
}

/** Line-comment spelling per language, to label chunks without breaking the syntax. */
export function lineComment(languageId: string): string {
  if (['python', 'shellscript', 'ruby', 'perl', 'r', 'yaml', 'dockerfile', 'makefile', 'powershell'].includes(languageId)) return '#';
  if (['lua', 'sql', 'haskell'].includes(languageId)) return '--';
  if (['html', 'xml', 'markdown', 'css', 'json'].includes(languageId)) return '';
  return '//';
}
