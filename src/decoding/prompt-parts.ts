/**
 * The text around a cursor, cut so that typing changes as little of the prompt as possible.
 *
 * Lines are grouped in blocks of `blockLines` at fixed line numbers (block k holds lines
 * [k·B, (k+1)·B)). The middle runs from the start of the cursor's block to the cursor, so typing,
 * Enter included, only appends to it until the cursor leaves the block. The blocks above it are
 * the prefix: each is tokenized on its own, which keeps its tokens the same whatever is cut
 * above it, and they are chosen by counting only themselves, never the middle, so the window's
 * top moves only when the cursor changes block. The suffix is the rest of the cursor's line and
 * the whole lines after it within its budget; typing never changes it.
 */

/** A document's lines without their line breaks, as the editor and the CLI both have them. */
export interface LineSource {
  readonly lineCount: number;
  lineAt(line: number): string;
}

export interface TextBlock {
  /** First line (0-based) the block's text starts on (a block cut to its last characters starts mid-line). */
  readonly line: number;
  /** Whole lines, each ending with a line break. */
  readonly text: string;
}

/** A chunk of another file, for the repository-level part of the prompt. */
export interface ContextChunk {
  readonly path: string;
  readonly text: string;
}

export interface PromptParts {
  /** Text before the middle, oldest block first. */
  readonly blocks: readonly TextBlock[];
  /** From the first line of the cursor's block to the cursor. */
  readonly middle: string;
  /** From the cursor on. */
  readonly suffix: string;
  /** Chunks of other files, oldest first; they change only when the caller's snapshot does. */
  readonly extra?: readonly ContextChunk[];
  /** The file's path relative to its workspace, for models with a repository-level format. */
  readonly path?: string;
  /** The language's line comment, to label other files for models without that format ('' for none). */
  readonly comment?: string;
  /** The repository's name, for models with a repository-level format. */
  readonly repo?: string;
  /** First line of the prefix in this document's previous prompt: kept while it still fits (hysteresis). */
  readonly topHint?: number;
}

export interface WindowOptions {
  /** Characters of the blocks above the middle, counted by whole blocks. */
  readonly prefixChars: number;
  /** Characters after the cursor, counted by whole lines. */
  readonly suffixChars: number;
  /** Lines per block; also where the middle starts. */
  readonly blockLines?: number;
}

export const DEFAULT_BLOCK_LINES = 8;
/** The editor's defaults (package.json: tokentree.context.prefixChars / suffixChars). */
export const DEFAULT_WINDOW: WindowOptions = { prefixChars: 6000, suffixChars: 2000, blockLines: DEFAULT_BLOCK_LINES };

export function cursorWindow(doc: LineSource, line: number, character: number, options: WindowOptions): PromptParts {
  const blockLines = options.blockLines ?? DEFAULT_BLOCK_LINES;
  if (!Number.isInteger(blockLines) || blockLines < 1) throw new RangeError(`blockLines must be a positive integer, got ${blockLines}`);
  if (!Number.isInteger(line) || line < 0 || line >= doc.lineCount) throw new RangeError(`line ${line} is outside the document (0..${doc.lineCount - 1})`);
  const lineText = doc.lineAt(line);
  if (!Number.isInteger(character) || character < 0 || character > lineText.length) throw new RangeError(`character ${character} is outside line ${line}`);

  const middleStart = line - (line % blockLines);
  const middleLines: string[] = [];
  for (let l = middleStart; l < line; l++) middleLines.push(doc.lineAt(l));
  middleLines.push(lineText.slice(0, character));

  const blocks: TextBlock[] = [];
  let used = 0;
  for (let end = middleStart; end > 0;) {
    const start = Math.max(0, end - blockLines);
    let text = '';
    for (let l = start; l < end; l++) text += doc.lineAt(l) + '\n';
    if (blocks.length > 0 && used + text.length > options.prefixChars) break;
    let first = start;
    // The newest block always goes in; a huge one (minified code) keeps its last lines that fit,
    // or its last characters when one line is longer than that.
    if (text.length > options.prefixChars) {
      let from = text.length - options.prefixChars;
      const lineStart = text.indexOf('\n', from - 1) + 1;
      if (lineStart > 0 && lineStart < text.length) {
        first += (text.slice(0, lineStart).match(/\n/g) ?? []).length;
        from = lineStart;
      } else first = end - 1;
      text = text.slice(from);
    }
    blocks.push({ line: first, text });
    used += text.length;
    end = start;
  }
  blocks.reverse();

  let suffix = lineText.slice(character);
  for (let l = line + 1; l < doc.lineCount; l++) {
    const next = doc.lineAt(l);
    if (suffix.length + 1 + next.length > options.suffixChars) break;
    suffix += '\n' + next;
  }
  if (suffix.length > options.suffixChars) suffix = suffix.slice(0, options.suffixChars);
  return { blocks, middle: middleLines.join('\n'), suffix };
}

/** The lines of a text (line breaks \n or \r\n). */
export function textLines(text: string): LineSource {
  const lines = text.split(/\r?\n/);
  return { lineCount: lines.length, lineAt: (i) => lines[i]! };
}

/** Parts for a cursor between `prefix` and `suffix` of one text, cut as the editor cuts them. */
export function partsFromText(prefix: string, suffix: string, options: WindowOptions = DEFAULT_WINDOW): PromptParts {
  const normalized = prefix.replace(/\r\n/g, '\n');
  const line = (normalized.match(/\n/g) ?? []).length;
  const character = normalized.length - (normalized.lastIndexOf('\n') + 1);
  return cursorWindow(textLines(normalized + suffix.replace(/\r\n/g, '\n')), line, character, options);
}

/** The text before the cursor that the parts hold: the blocks and the middle. */
export function textBeforeCursor(parts: PromptParts): string {
  return parts.blocks.map((b) => b.text).join('') + parts.middle;
}

/** The document as it would be with `text` inserted at the cursor, and the cursor after it. */
export function withInsertion(doc: LineSource, line: number, character: number, text: string): { document: LineSource; line: number; character: number } {
  const current = doc.lineAt(line);
  const pieces = text.split('\n');
  const last = pieces.length - 1;
  const replaced = pieces.map((piece, i) => (i === 0 ? current.slice(0, character) : '') + piece + (i === last ? current.slice(character) : ''));
  const extra = replaced.length - 1;
  return {
    document: {
      lineCount: doc.lineCount + extra,
      lineAt: (i) => (i < line ? doc.lineAt(i) : i <= line + extra ? replaced[i - line]! : doc.lineAt(i - extra)),
    },
    line: line + extra,
    character: (last === 0 ? character : 0) + pieces[last]!.length,
  };
}
