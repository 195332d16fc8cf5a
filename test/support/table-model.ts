import type { Branch, EvaluateRequest, LanguageModel, NextTokenScores, PromptState } from '../../src/decoding/language-model';
import { logSumExp, topIndices } from '../../src/decoding/distribution';

/**
 * A deterministic in-memory language model for strategy tests: next-token probabilities
 * come from a table keyed by the recent context (longest matching suffix of the branch's
 * tokens, written as space-separated words), like an n-gram model with backoff.
 * Tokens are words; unspecified tokens get probability 0 (or the `floor` logit).
 */
export interface TableModelSpec {
  readonly vocab: readonly string[];
  /** Context (space-separated words, '' = default) → next word → probability. */
  readonly rules: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly eos?: string;
  /** Logit for tokens a rule does not mention; -Infinity by default. */
  readonly floor?: number;
}

export class TableModel implements LanguageModel {
  readonly vocabSize: number;
  /** Every evaluate call, for assertions about batching and cancellation. */
  readonly calls: EvaluateRequest[][] = [];
  /** Every position read, as the branch's whole token sequence, and how deep it was read. */
  readonly reads: { tokens: number[]; topN: number }[] = [];
  /** fork() calls so far. */
  forks = 0;
  /** Longest token sequence any branch reached (tests check strategies stay within budget). */
  longestBranch = 0;
  /** Runs before each evaluate call returns (tests use it to abort mid-strategy). */
  onEvaluate?: (callIndex: number) => void;
  private readonly branches = new Map<number, number[]>();
  private nextId = 1;
  private readonly index = new Map<string, number>();

  constructor(private readonly spec: TableModelSpec) {
    this.vocabSize = spec.vocab.length;
    spec.vocab.forEach((w, i) => this.index.set(w, i));
    for (const [ctx, next] of Object.entries(spec.rules)) {
      for (const w of [...ctx.split(' ').filter(Boolean), ...Object.keys(next)]) {
        if (!this.index.has(w)) throw new Error(`table rule uses unknown word "${w}"`);
      }
    }
  }

  get liveBranches(): number {
    return this.branches.size;
  }

  id(word: string): number {
    const id = this.index.get(word);
    if (id === undefined) throw new Error(`unknown word ${word}`);
    return id;
  }

  ids(text: string): number[] {
    return text.split(' ').filter(Boolean).map((w) => this.id(w));
  }

  isEndOfGeneration(token: number): boolean {
    return this.spec.eos !== undefined && this.spec.vocab[token] === this.spec.eos;
  }

  tokenText(token: number): string {
    return this.isEndOfGeneration(token) ? '' : ` ${this.spec.vocab[token]}`;
  }

  detokenize(tokens: readonly number[]): string {
    return tokens.map((t) => this.tokenText(t)).join('');
  }

  /** Log-probability of `word` after `context` under the table, for hand-checking tests. */
  logprob(context: string, word: string): number {
    const logits = this.logitsAfter(this.ids(context));
    return logits[this.id(word)] - logSumExp(logits);
  }

  async start(tokens: readonly number[], topN: number): Promise<PromptState> {
    const branch = this.newBranch([...tokens]);
    return { branch, tokens, next: this.scores(this.branches.get(branch.id)!, topN) };
  }

  fork(branch: Branch): Branch {
    this.forks++;
    return this.newBranch([...this.state(branch)]);
  }

  /** truncate() calls so far. */
  truncations = 0;

  truncate(branch: Branch, length: number): boolean {
    const state = this.state(branch);
    if (length < 0) throw new RangeError(`truncate to ${length}`);
    this.truncations++;
    state.length = Math.min(state.length, length);
    return true;
  }

  release(branch: Branch): void {
    if (!this.branches.delete(branch.id)) throw new Error(`branch ${branch.id} released twice or unknown`);
  }

  async evaluate(requests: readonly EvaluateRequest[], signal?: AbortSignal): Promise<NextTokenScores[]> {
    if (signal?.aborted) throw new Error('evaluate called with an aborted signal');
    this.calls.push([...requests]);
    const out = requests.map((r) => {
      const state = this.state(r.branch);
      state.push(...r.tokens);
      this.longestBranch = Math.max(this.longestBranch, state.length);
      this.reads.push({ tokens: [...state], topN: r.topN });
      return this.scores(state, r.topN);
    });
    await new Promise((resolve) => setImmediate(resolve));
    this.onEvaluate?.(this.calls.length);
    return out;
  }

  private newBranch(tokens: number[]): Branch {
    const branch = { id: this.nextId++ };
    this.branches.set(branch.id, tokens);
    return branch;
  }

  private state(branch: Branch): number[] {
    const s = this.branches.get(branch.id);
    if (!s) throw new Error(`branch ${branch.id} was released`);
    return s;
  }

  private logitsAfter(tokens: readonly number[]): Float32Array {
    const words = tokens.map((t) => this.spec.vocab[t]);
    let rule: Readonly<Record<string, number>> | undefined;
    for (let k = words.length; k >= 0 && !rule; k--) rule = this.spec.rules[words.slice(words.length - k).join(' ')];
    const logits = new Float32Array(this.vocabSize).fill(this.spec.floor ?? -Infinity);
    for (const [w, p] of Object.entries(rule ?? {})) logits[this.id(w)] = Math.log(p);
    return logits;
  }

  private scores(tokens: readonly number[], topN: number): NextTokenScores {
    const full = this.logitsAfter(tokens);
    const ids = topIndices(full, Math.min(topN, this.vocabSize));
    return { ids, logits: Float32Array.from(ids, (i) => full[i]), logNormalizer: logSumExp(full), full };
  }
}
