import type { SyntaxOracle } from '../decoding/value';
import type { EvalPosition } from './positions';

export interface PositionScore {
  readonly exactLine: boolean;
  readonly exactNextLine: boolean;
  /** 1 − Levenshtein distance / longer length, over the two-line span. */
  readonly editSimilarity: number;
  /** The file has no more syntax errors with the completion than it had originally (null: no parser). */
  readonly parses: boolean | null;
}

/** The completion cut to the span the target covers: the rest of the line and one more line. */
export function twoLines(text: string): string {
  const first = text.indexOf('\n');
  if (first < 0) return text;
  const second = text.indexOf('\n', first + 1);
  return second < 0 ? text : text.slice(0, second);
}

export function scorePosition(position: EvalPosition, completion: string, oracle?: SyntaxOracle): PositionScore {
  const got = twoLines(completion).split('\n');
  const want = position.target.split('\n');
  const span = twoLines(completion);
  let parses: boolean | null = null;
  if (oracle) {
    const original = oracle.errors(position.prefix + position.target + position.suffix);
    parses = oracle.errors(position.prefix + span + position.suffix) <= original;
  }
  return {
    exactLine: (got[0] ?? '').trimEnd() === want[0].trimEnd(),
    exactNextLine: got.length > 1 && got[1].trim() === (want[1] ?? '').trim(),
    editSimilarity: similarity(span.trimEnd(), position.target.trimEnd()),
    parses,
  };
}

export function similarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - levenshtein(a, b) / longer;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Whether a suggestion repeats the text after the cursor: with it inserted, its last line
 * (indentation included) is the same as the document's next non-blank line, as when a
 * suggestion ends with the "}" that already follows the cursor.
 */
export function repeatsSuffix(linePrefix: string, suggestion: string, suffix: string): boolean {
  const lines = (linePrefix + suggestion).split('\n');
  const last = lines[lines.length - 1]!.trimEnd();
  if (suggestion.trim() === '' || last.trim() === '') return false;
  // The cursor's line goes on after the suggestion: a repeat retypes all of its rest.
  const rest = suffix.split('\n');
  if (rest[0]!.trim() !== '') return last.endsWith(rest[0]!.trim());
  const next = rest.slice(1).find((l) => l.trim() !== '');
  return next !== undefined && next.trimEnd() === last;
}
