import { createRng } from '../decoding/rng';

export interface EvalFile {
  readonly name: string;
  readonly text: string;
}

/** One completion task: the model sees prefix and suffix; `target` is what really stood between. */
export interface EvalPosition {
  readonly file: string;
  /** 1-based line of the cut. */
  readonly line: number;
  readonly prefix: string;
  readonly suffix: string;
  /** The rest of the cut line, a newline, and the next full line. */
  readonly target: string;
  /** The cut is inside an identifier (a word character on both sides): token healing's case. */
  readonly midIdentifier: boolean;
}

/** Share of positions cut inside an identifier unless the caller says otherwise. */
export const DEFAULT_MID_IDENTIFIER_SHARE = 0.3;

const WORD = /[\w$]/;
const isMidWord = (text: string, at: number) => at > 0 && at < text.length && WORD.test(text[at - 1]!) && WORD.test(text[at]!);

const isCodeLine = (line: string) => {
  const t = line.trim();
  return t.length >= 8 && !/^(\/\/|\/\*|\*|#)/.test(t) && !/^[})\];,]+$/.test(t);
};

/**
 * Picks `count` positions deterministically (same files, count, seed and share → same
 * positions): a code line is cut at a random column after its indentation; the model must
 * produce the rest of that line and the next one, with everything after them as suffix.
 * A share of the cuts (`midIdentifierShare`, where the line has an identifier to cut) falls
 * inside an identifier; the others never do.
 */
export function pickPositions(files: readonly EvalFile[], count: number, seed: number, midIdentifierShare = DEFAULT_MID_IDENTIFIER_SHARE): EvalPosition[] {
  const candidates: { file: EvalFile; lineIndex: number; starts: number[] }[] = [];
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const lines = file.text.split('\n');
    const starts: number[] = [];
    let offset = 0;
    for (const l of lines) {
      starts.push(offset);
      offset += l.length + 1;
    }
    for (let i = 0; i + 1 < lines.length; i++) {
      if (isCodeLine(lines[i]) && lines[i + 1].trim().length > 0 && lines[i].length < 200) candidates.push({ file, lineIndex: i, starts });
    }
  }
  const rng = createRng(seed);
  // Partial Fisher-Yates: the first `count` of a seeded shuffle.
  const n = Math.min(count, candidates.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (candidates.length - i));
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  return candidates.slice(0, n).map(({ file, lineIndex, starts }) => {
    const lines = file.text.split('\n');
    const line = lines[lineIndex];
    const indent = line.length - line.trimStart().length;
    const lo = indent + 1;
    const hi = Math.max(lo, line.trimEnd().length - 3);
    const columns: number[] = [];
    for (let c = lo; c <= hi; c++) columns.push(c);
    const inside = columns.filter((c) => isMidWord(line, c));
    const outside = columns.filter((c) => !isMidWord(line, c));
    const wantInside = rng() < midIdentifierShare;
    const pool = (wantInside && inside.length) || !outside.length ? inside : outside;
    const column = pool.length ? pool[Math.floor(rng() * pool.length)]! : lo;
    const cut = starts[lineIndex] + column;
    const end = starts[lineIndex + 1] + lines[lineIndex + 1].length;
    return {
      file: file.name,
      line: lineIndex + 1,
      prefix: file.text.slice(0, cut),
      suffix: file.text.slice(end),
      target: file.text.slice(cut, end),
      midIdentifier: isMidWord(line, column),
    };
  });
}

/** A line of closing brackets only (`}`, `});`, `]`), the text a completion is most often seen to repeat. */
const isCloserLine = (line: string) => /^\s*[)\]}]+[;,)]*\s*$/.test(line);

/**
 * Cursors at the end of a code line whose next line only closes brackets: where a suggestion most
 * often runs into the text after the cursor (`return a|⏎}`). These measure the stop rules' repeat
 * check, not completion quality: there is no one right text to write there.
 */
export function pickCloserPositions(files: readonly EvalFile[], count: number, seed: number): EvalPosition[] {
  const found: EvalPosition[] = [];
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const lines = file.text.split('\n');
    let offset = 0;
    for (let i = 0; i + 1 < lines.length; i++) {
      const line = lines[i]!;
      if (isCodeLine(line) && isCloserLine(lines[i + 1]!) && line.length < 200) {
        const cut = offset + line.trimEnd().length;
        found.push({ file: file.name, line: i + 1, prefix: file.text.slice(0, cut), suffix: file.text.slice(cut), target: '', midIdentifier: false });
      }
      offset += line.length + 1;
    }
  }
  const rng = createRng(seed ^ 0xc105e);
  const n = Math.min(count, found.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (found.length - i));
    [found[i], found[j]] = [found[j]!, found[i]!];
  }
  return found.slice(0, n);
}
