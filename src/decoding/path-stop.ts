/**
 * The stop rule over a growing path at O(1) per token: each step keeps the path's text and where
 * the rule's scan stands, so the next step detokenizes a few tokens and rescans the last two
 * lines, instead of the whole path each time.
 */
import type { LanguageModel } from './language-model';
import type { StopRule, StopScan } from './stop-rules';
import type { TokenStep } from './strategy';

/**
 * Tokens before the new one that are detokenized with it. A token can change how the text before
 * it reads only through bytes of an unfinished UTF-8 character (at most 3 tokens back) or a
 * tokenizer's space clean-up next to it; the window's own first token (which a SentencePiece
 * tokenizer strips of its leading space) is the same on both sides of the comparison.
 */
const WINDOW = 4;

interface Entry {
  /** The step before this one on its path (a step object sits at one place in one path). */
  readonly prev: TokenStep | undefined;
  readonly text: string;
  /** detokenize of the path's tokens from `windowStart` on: the next step's text before its token. */
  readonly windowStart: number;
  readonly windowText: string;
  readonly scan: StopScan;
  readonly complete: boolean;
}

const memos = new WeakMap<StopRule, WeakMap<TokenStep, Entry>>();

/** Whether `rule` ends the path `steps` (the text the user would see), using and keeping each step's scan. */
export function pathStopped(model: LanguageModel, rule: StopRule, steps: readonly TokenStep[]): boolean {
  if (steps.length === 0) return rule('');
  let memo = memos.get(rule);
  if (!memo) memos.set(rule, (memo = new WeakMap()));
  // The longest prefix already scanned on this path.
  let known = steps.length - 1;
  let entry: Entry | undefined;
  for (; known >= 0; known--) {
    const e = memo.get(steps[known]!);
    if (e && e.prev === steps[known - 1]) {
      entry = e;
      break;
    }
  }
  for (let n = known + 2; n <= steps.length; n++) {
    const next = extendText(model, steps, n, entry);
    const { complete, resume } = rule.scan(next.text, entry?.scan);
    entry = { prev: steps[n - 2], ...next, scan: resume, complete };
    memo.set(steps[n - 1]!, entry);
  }
  return entry!.complete;
}

/**
 * detokenize(steps[0..n)) from the entry of steps[0..n-1): one detokenize of a window of at most
 * 2 × WINDOW tokens. The window starts on a multiple of WINDOW at least WINDOW tokens back, so
 * consecutive steps share it and the text before the new token is the previous step's.
 */
export function extendText(model: LanguageModel, steps: readonly TokenStep[], n: number, before?: Pick<Entry, 'text' | 'windowStart' | 'windowText'>): Pick<Entry, 'text' | 'windowStart' | 'windowText'> {
  const windowStart = Math.max(0, (Math.floor((n - 1) / WINDOW) - 1) * WINDOW);
  const tokens = (end: number) => {
    const out: number[] = [];
    for (let i = windowStart; i < end; i++) out.push(steps[i]!.token);
    return out;
  };
  const after = model.detokenize(tokens(n));
  if (windowStart === 0) return { text: after, windowStart, windowText: after };
  const was = before?.windowStart === windowStart ? before.windowText : model.detokenize(tokens(n - 1));
  const text = before?.text ?? '';
  // Where the window's text changed: an unfinished character completed, a space cleaned up.
  let same = 0;
  const max = Math.min(was.length, after.length);
  while (same < max && was.charCodeAt(same) === after.charCodeAt(same)) same++;
  return { text: text.slice(0, text.length - (was.length - same)) + after.slice(same), windowStart, windowText: after };
}
