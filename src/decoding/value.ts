/**
 * How good a partial completion looks, for strategies that compare branches by lookahead
 * (MCTS, entropy-adaptive branching). Higher is better; the default is the mean
 * log-probability (nats per token) of the completion so far, which is comparable across
 * branches of different lengths.
 */
export interface ValueInput {
  /** The completion's text so far (what would be inserted), including the branch. */
  readonly text: string;
  readonly tokens: readonly number[];
  /** Mean log-probability per token over `tokens` (nats). */
  readonly meanLogprob: number;
}

export type ValueFunction = (input: ValueInput) => number;

export const logprobValue: ValueFunction = (input) => input.meanLogprob;

/** Counts syntax errors in a whole text (e.g. TypeScript's parser, or a bracket matcher). */
export interface SyntaxOracle {
  errors(text: string): number;
}

/**
 * A code-aware value for lookahead strategies: the log-probability value minus `weight`
 * for every syntax error that inserting the candidate between prefix and suffix adds over
 * the document as it stands. Errors the document already had do not count against any
 * branch, so only the candidates' own mistakes separate them.
 */
export function syntaxAwareValue(oracle: SyntaxOracle, prefix: string, suffix: string, weight: number): ValueFunction {
  const baseline = oracle.errors(prefix + suffix);
  const cache = new Map<string, number>();
  return (input) => {
    let added = cache.get(input.text);
    if (added === undefined) {
      added = Math.max(0, oracle.errors(prefix + input.text + suffix) - baseline);
      cache.set(input.text, added);
    }
    return input.meanLogprob - weight * added;
  };
}

/**
 * Unbalanced brackets, for languages without a parser here: each closer without its
 * opener, and each opener left open, is one error. Strings and comments are skipped with
 * C-family rules (quotes, //, /* *\/, #), which is close enough to compare candidates.
 */
export const bracketOracle: SyntaxOracle = {
  errors(text) {
    const stack: string[] = [];
    let errors = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === '"' || ch === "'" || ch === '`') {
        const end = text.indexOf(ch, i + 1);
        const nl = text.indexOf('\n', i + 1);
        i = ch !== '`' && nl >= 0 && (end < 0 || nl < end) ? nl : end < 0 ? text.length : end;
      } else if ((ch === '/' && text[i + 1] === '/') || ch === '#') {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? text.length : nl;
      } else if (ch === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? text.length : end + 1;
      } else if (ch === '(' || ch === '[' || ch === '{') {
        stack.push(ch);
      } else if (ch === ')' || ch === ']' || ch === '}') {
        const open = stack.pop();
        if (open === undefined || '([{'.indexOf(open) !== ')]}'.indexOf(ch)) errors++;
      }
    }
    return errors + stack.length;
  },
};
