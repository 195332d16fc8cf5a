/**
 * Token healing. A prompt that ends inside a word ("return t|") ends on a token the model
 * almost never saw followed by the rest of its word: in training, "this" was one token, not "t"
 * then "his". Healing backs the prompt up by its last token and makes the first generated
 * token(s) re-type that text: only tokens whose text extends it (or, for a long removed text,
 * a piece of it) are allowed, their probabilities renormalised over the allowed set, until the
 * removed text is typed again. The removed text is then not part of the completion.
 *
 * It wraps the model every strategy sees, so it works with all of them unchanged: branches
 * still healing get their scores constrained, and `detokenize` of a completion path leaves the
 * removed text out, so candidates, stop rules and value functions see what would be inserted.
 */
import type { Branch, EvaluateRequest, GeneratedToken, GenerateRequest, GenerationEnd, LanguageModel, NextTokenScores, PromptState, StartOptions } from './language-model';

/** Token texts of a vocabulary, sorted, for prefix queries. Built once per model (a full pass over the vocabulary). */
export class VocabularyIndex {
  private readonly texts: string[] = [];
  private readonly ids: number[] = [];
  private readonly byText = new Map<string, number[]>();
  private readonly typeable = new Map<string, boolean>();
  /** Each token's text, where it can type anything (undefined: an end, a control token, a UTF-8 piece). */
  private readonly textOf: (string | undefined)[] = [];

  constructor(model: Pick<LanguageModel, 'vocabSize' | 'detokenize' | 'isEndOfGeneration'>) {
    const entries: [string, number][] = [];
    for (let id = 0; id < model.vocabSize; id++) {
      if (model.isEndOfGeneration(id)) continue;
      // What the token inserts: control tokens insert nothing; a piece of a UTF-8 character cannot be matched by text.
      const text = model.detokenize([id]);
      if (text === '' || text.includes('\uFFFD')) continue;
      entries.push([text, id]);
      this.textOf[id] = text;
      const same = this.byText.get(text);
      if (same) same.push(id);
      else this.byText.set(text, [id]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    for (const [text, id] of entries) {
      this.texts.push(text);
      this.ids.push(id);
    }
  }

  /**
   * Tokens that may come next while `remaining` is still to be typed: those that type all of it
   * (and more), or a first part of it whose rest some tokens can still type.
   */
  allowed(remaining: string): number[] {
    const out = this.extending(remaining);
    for (let k = 1; k < remaining.length; k++) {
      const part = this.byText.get(remaining.slice(0, k));
      if (part && this.canType(remaining.slice(k))) out.push(...part);
    }
    return out;
  }

  /**
   * Whether `id` is among allowed(remaining), without listing them: a step's top slice is checked
   * token by token, where listing the tokens that type a space lists half a vocabulary.
   */
  allows(remaining: string, id: number): boolean {
    const text = this.textOf[id];
    if (text === undefined) return false;
    if (text.startsWith(remaining)) return true;
    return text.length < remaining.length && remaining.startsWith(text) && this.canType(remaining.slice(text.length));
  }

  /** Tokens whose text starts with `text`. */
  private extending(text: string): number[] {
    let lo = 0;
    let hi = this.texts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.texts[mid]! < text) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < this.texts.length && this.texts[i]!.startsWith(text); i++) out.push(this.ids[i]!);
    return out;
  }

  /** Whether tokens can type `text` (always, in a byte-level vocabulary). */
  private canType(text: string): boolean {
    let known = this.typeable.get(text);
    if (known === undefined) {
      known = this.extending(text).length > 0;
      for (let k = 1; !known && k < text.length; k++) known = this.byText.has(text.slice(0, k)) && this.canType(text.slice(k));
      this.typeable.set(text, known);
    }
    return known;
  }
}

const indexes = new WeakMap<object, VocabularyIndex>();

/** The model's vocabulary index, built on first use. */
export function vocabularyIndex(model: LanguageModel): VocabularyIndex {
  let index = indexes.get(model);
  if (!index) {
    index = new VocabularyIndex(model);
    indexes.set(model, index);
  }
  return index;
}

/** What is left to re-type after `typed`; undefined once the removed text is typed (or a token left it). */
export function remainingAfter(remaining: string, typed: string): string | undefined {
  if (remaining.startsWith(typed)) return typed.length < remaining.length ? remaining.slice(typed.length) : undefined;
  return undefined;
}

/** Scores over the allowed tokens only, renormalised over them (exact log-probabilities within the set). */
export function constrainScores(scores: NextTokenScores, allowed: readonly number[]): NextTokenScores | undefined {
  const logitOf = scores.full ? (id: number) => scores.full![id]! : sliceLookup(scores);
  return renormalised(allowed.map((id) => ({ id, logit: logitOf(id) })));
}

/** The same over a top slice, with the allowed tokens given by a test: the slice is walked, not the allowed set. */
export function constrainSlice(scores: NextTokenScores, allows: (id: number) => boolean): NextTokenScores | undefined {
  const kept: { id: number; logit: number }[] = [];
  scores.ids.forEach((id, i) => {
    if (allows(id)) kept.push({ id, logit: scores.logits[i]! });
  });
  return renormalised(kept);
}

function renormalised(candidates: readonly { id: number; logit: number }[]): NextTokenScores | undefined {
  const kept = candidates.filter((t) => Number.isFinite(t.logit));
  if (kept.length === 0) return undefined;
  kept.sort((a, b) => b.logit - a.logit || a.id - b.id);
  const max = kept[0]!.logit;
  let sum = 0;
  for (const t of kept) sum += Math.exp(t.logit - max);
  return {
    ids: Int32Array.from(kept, (t) => t.id),
    logits: Float32Array.from(kept, (t) => t.logit),
    logNormalizer: max + Math.log(sum),
  };
}

function sliceLookup(scores: NextTokenScores): (id: number) => number {
  const at = new Map<number, number>();
  scores.ids.forEach((id, i) => at.set(id, scores.logits[i]!));
  return (id) => at.get(id) ?? Number.NEGATIVE_INFINITY;
}

/**
 * Scores read for a step that must re-type text: the allowed tokens are looked up among this many
 * top tokens, not the whole vocabulary, whose logits cost far more to read (a JS array of the
 * whole vocabulary). The renormalisation is then over the allowed tokens among them: an allowed
 * token ranked below them is left out, which changes the others' probabilities by at most its
 * share. When no allowed token is among them, the whole vocabulary is read.
 */
export const HEALING_TOP_N = 1024;

/**
 * The model as strategies see it while `removed` (the prompt's last token's text, taken off
 * the prompt) is re-typed. Every branch forked from the prompt inherits what it still has to type.
 */
export class HealingModel implements LanguageModel {
  private readonly remaining = new Map<number, string>();
  /**
   * Per branch: its length in tokens, and from which length on it types freely (the removed text
   * re-typed); truncate() keeps a branch only as far back as that.
   */
  private readonly lengths = new Map<number, { length: number; freeFrom: number }>();
  private readonly index: VocabularyIndex;

  constructor(private readonly base: LanguageModel, private removed: string) {
    this.index = vocabularyIndex(base);
  }

  /** The text being re-typed; undefined when no token could re-type it and generation went on unconstrained. */
  get healed(): string | undefined {
    return this.removed === '' ? undefined : this.removed;
  }

  get vocabSize(): number {
    return this.base.vocabSize;
  }

  isEndOfGeneration(token: number): boolean {
    return this.base.isEndOfGeneration(token);
  }

  tokenText(token: number): string {
    return this.base.tokenText(token);
  }

  /** A completion path's text without the re-typed removed text (empty while it is being re-typed). */
  detokenize(tokens: readonly number[]): string {
    const text = this.base.detokenize(tokens);
    if (this.removed === '') return text;
    if (text.startsWith(this.removed)) return text.slice(this.removed.length);
    return this.removed.startsWith(text) ? '' : text;
  }

  async start(tokens: readonly number[], topN: number, signal?: AbortSignal, options?: StartOptions): Promise<PromptState> {
    const state = await this.base.start(tokens, Math.max(topN, HEALING_TOP_N), signal, options);
    const next = await this.constrain(state.branch, state.next, this.removed, signal);
    if (!next) {
      this.removed = ''; // nothing can re-type it (cannot happen for a text that was one token): generate freely
      this.lengths.set(state.branch.id, { length: tokens.length, freeFrom: tokens.length });
      return state;
    }
    this.remaining.set(state.branch.id, this.removed);
    this.lengths.set(state.branch.id, { length: tokens.length, freeFrom: Infinity });
    return { ...state, next };
  }

  /** Scores over the tokens that may type `remaining` next: from the top slice, else from the whole vocabulary. */
  private async constrain(branch: Branch, scores: NextTokenScores, remaining: string, signal?: AbortSignal): Promise<NextTokenScores | undefined> {
    const fromTop = scores.full ? constrainScores(scores, this.index.allowed(remaining)) : constrainSlice(scores, (id) => this.index.allows(remaining, id));
    if (fromTop) return fromTop;
    const allowed = this.index.allowed(remaining);
    if (this.base.scoresWithin) return this.base.scoresWithin(branch, allowed, signal);
    const [all] = await this.base.evaluate([{ branch, tokens: [], topN: Number.POSITIVE_INFINITY }], signal);
    return constrainScores(all!, allowed);
  }

  fork(branch: Branch): Branch {
    const forked = this.base.fork(branch);
    const left = this.remaining.get(branch.id);
    if (left !== undefined) this.remaining.set(forked.id, left);
    const length = this.lengths.get(branch.id);
    if (length) this.lengths.set(forked.id, { ...length });
    return forked;
  }

  release(branch: Branch): void {
    this.remaining.delete(branch.id);
    this.lengths.delete(branch.id);
    this.base.release(branch);
  }

  /**
   * How many of `tokens` it takes to re-type `remaining` (all of them where none was left to
   * re-type, or they never do): a branch that re-typed it and went on in one evaluation types
   * freely from the token that finished it.
   */
  private retypedBy(remaining: string | undefined, tokens: readonly number[]): number {
    if (remaining === undefined) return tokens.length;
    for (let k = 1; k < tokens.length; k++) if (remainingAfter(remaining, this.base.detokenize(tokens.slice(0, k))) === undefined) return k;
    return tokens.length;
  }

  /** Only back to where the branch types freely: before it, what is left to re-type is not kept. */
  truncate(branch: Branch, length: number): boolean {
    const at = this.lengths.get(branch.id);
    if (!this.base.truncate || !at || this.remaining.has(branch.id) || length < at.freeFrom) return false;
    if (!this.base.truncate(branch, length)) return false;
    at.length = Math.min(at.length, length);
    return true;
  }

  /** The base model's own generation, once the branch has re-typed the removed text (it is unconstrained from then on). */
  generate(request: GenerateRequest, signal?: AbortSignal): AsyncGenerator<GeneratedToken, GenerationEnd> | undefined {
    if (!this.base.generate) return undefined;
    const before = this.remaining.get(request.branch.id);
    if (before !== undefined && remainingAfter(before, this.base.detokenize(request.tokens)) !== undefined) return undefined;
    const stream = this.base.generate(request, signal);
    if (stream) {
      this.remaining.delete(request.branch.id);
      // Its length is the generation's from now on: not kept track of, so never truncated.
      this.lengths.delete(request.branch.id);
    }
    return stream;
  }

  async evaluate(requests: readonly EvaluateRequest[], signal?: AbortSignal): Promise<NextTokenScores[]> {
    const before = requests.map((r) => this.remaining.get(r.branch.id));
    const left = requests.map((r, i) => (before[i] === undefined ? undefined : remainingAfter(before[i]!, this.base.detokenize(r.tokens))));
    const scores = await this.base.evaluate(requests.map((r, i) => (left[i] === undefined ? r : { ...r, topN: Math.max(r.topN, HEALING_TOP_N) })), signal);
    return Promise.all(scores.map(async (s, i) => {
      const { branch, tokens } = requests[i]!;
      const at = this.lengths.get(branch.id);
      const from = at?.length ?? 0;
      if (at) at.length += tokens.length;
      const rest = left[i];
      const free = () => {
        this.remaining.delete(branch.id);
        if (at && at.freeFrom === Infinity) at.freeFrom = from + this.retypedBy(before[i], tokens);
      };
      if (rest === undefined) {
        free();
        return s;
      }
      const constrained = await this.constrain(branch, s, rest, signal);
      if (constrained) this.remaining.set(branch.id, rest);
      else free();
      return constrained ?? s;
    }));
  }
}

/** The removed text's length in characters, for consumers that map token texts to the completion's text. */
export const healedLength = (result: { readonly healed?: string }): number => result.healed?.length ?? 0;
