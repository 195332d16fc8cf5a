/**
 * Prompt tokens from PromptParts in a layout that stays put while the user types: what changes
 * on a keystroke is at the end of the prompt, so the backend's prefix reuse evaluates only that.
 *
 *   psm:  [BOS] [repository header] PRE [other files as comments] prefix SUF suffix MID middle
 *   spm:  [BOS] [repository header] SUF suffix PRE [other files as comments] prefix middle
 *   none: [BOS] [other files as comments] prefix middle
 *
 * The middle (the cursor's block of lines up to the cursor) goes after the middle marker, as
 * llama.cpp's infill puts the current line, so typing appends to the prompt. Other files go first
 * and change only when their snapshot does. Each budget is a fixed share of the context that does
 * not depend on the middle's length, so the prefix's top moves only when the cursor changes block;
 * it is cut at a line start where the tokenization has one. Blocks are tokenized one by one (and
 * cached), so the tokens of a block do not change when the blocks above it are cut away: the
 * backend can drop the stale head of a cached prompt and keep the rest (its KV shift).
 */

import type { ContextChunk, PromptParts, TextBlock } from '../decoding/prompt-parts';
import { ContextOverflowError } from './errors';
import type { CompletionPrompt, FimFormat, VocabView } from './fim';

export interface LayoutOptions {
  /** Cells per sequence in the llama.cpp context. */
  readonly contextSize: number;
  /** Tokens kept free for the completion. */
  readonly maxNewTokens: number;
  /** Largest share of the room the suffix takes; default 0.25 (llama.cpp's infill uses 3:1). */
  readonly suffixShare?: number;
  /** Largest share of the room other files take; default 0.25. */
  readonly extraShare?: number;
}

interface Tokenized {
  readonly tokens: readonly number[];
  /** Token index where each line of the text starts, or -1 where a token spans the line break. */
  readonly lineStarts: readonly number[];
}

const CACHE_ENTRIES = 256;
const DEFAULT_REPO = 'project';

export class PromptLayout {
  private readonly cache = new Map<string, Tokenized>();
  private readonly texts = new Map<number, string>();

  constructor(private readonly vocab: VocabView, private readonly fim: FimFormat | null) {}

  build(parts: PromptParts, options: LayoutOptions): CompletionPrompt {
    const fim = this.fim;
    const bos = this.vocab.addBos && this.vocab.bos !== null ? [this.vocab.bos] : [];
    const markers = fim === null ? 0 : 2 + (fim.middle === null ? 0 : 1);
    const room = options.contextSize - 1 - options.maxNewTokens - bos.length - markers;
    if (room < 1) {
      throw new ContextOverflowError(
        `The context (${options.contextSize} tokens) has no room for a prompt after reserving ${options.maxNewTokens} tokens for the completion; use a larger context or fewer max tokens.`,
      );
    }
    const suffixAll = fim === null ? [] : this.tokens(parts.suffix).tokens;
    const suffix = suffixAll.slice(0, Math.floor(room * (options.suffixShare ?? 0.25)));
    const extra = this.extra(parts, Math.floor(room * (options.extraShare ?? 0.25)));
    const free = Math.max(0, room - suffix.length - extra.header.length - extra.comments.length);
    const middle = this.middle(parts.middle, free);
    // The middle's room grows in steps, so that typing a token does not shrink the prefix.
    const step = Math.max(16, Math.floor(room / 8));
    const reserve = step * Math.max(1, Math.ceil(middle.length / step));
    const prefix = this.prefix(parts.blocks, Math.max(0, free - reserve), parts.topHint);

    let tokens: number[];
    if (fim === null) tokens = [...bos, ...extra.comments, ...prefix.tokens, ...middle];
    else if (fim.order === 'spm') tokens = [...bos, ...extra.header, fim.suffix, ...suffix, fim.prefix, ...extra.comments, ...prefix.tokens, ...middle];
    else tokens = [...bos, ...extra.header, fim.prefix, ...extra.comments, ...prefix.tokens, fim.suffix, ...suffix, fim.middle!, ...middle];
    return {
      tokens,
      fim: fim !== null,
      droppedPrefixTokens: prefix.dropped,
      droppedSuffixTokens: suffixAll.length - suffix.length,
      topLine: prefix.topLine,
      middleTokens: middle.length,
    };
  }

  /**
   * Every text build() may tokenize for these parts, so that a backend whose tokenizer is remote
   * (llama-server) can tokenize them ahead of the synchronous build.
   */
  textsFor(parts: PromptParts): string[] {
    const texts = [parts.suffix, parts.middle, ...parts.blocks.map((b) => b.text)];
    const chunks = parts.extra ?? [];
    if (chunks.length > 0 && this.fim?.repository) {
      texts.push(`${parts.repo ?? DEFAULT_REPO}\n`, `${parts.path ?? 'untitled'}\n`, ...chunks.map((c) => `${c.path}\n${withBreak(c.text)}`));
    } else if (chunks.length > 0 && parts.comment) {
      texts.push(...chunks.map((c) => `${parts.comment} ${c.path}\n${withBreak(c.text)}`));
    }
    return texts;
  }

  /**
   * The middle, or in a small context its newest lines: its head is dropped in steps of a
   * quarter of the room, at a line start, so that typing moves it once per step, not per key.
   */
  private middle(text: string, room: number): readonly number[] {
    const { tokens, lineStarts } = this.tokens(text);
    if (tokens.length <= room) return tokens;
    const step = Math.max(1, Math.floor(room / 4));
    const drop = Math.ceil((tokens.length - room) / step) * step;
    const from = lineStarts.find((start) => start >= drop && start <= tokens.length) ?? tokens.length - room;
    return tokens.slice(from);
  }

  /**
   * The newest blocks that fit, the oldest of them cut at a line start. The previous prompt's
   * top line is kept while the prefix from it fits and fills at least half the budget, so a
   * cursor that moves up a few blocks does not move the top (and re-evaluate everything).
   */
  private prefix(blocks: readonly TextBlock[], budget: number, hint: number | undefined): { tokens: number[]; dropped: number; topLine: number | undefined } {
    const tokenized = blocks.map((b) => this.tokens(b.text));
    const total = tokenized.reduce((n, t) => n + t.tokens.length, 0);
    const from = this.hinted(blocks, tokenized, budget, hint) ?? this.cut(blocks, tokenized, budget);
    const tokens: number[] = [];
    for (let i = from.block; i < blocks.length; i++) tokens.push(...tokenized[i]!.tokens.slice(i === from.block ? from.token : 0));
    return { tokens, dropped: total - tokens.length, topLine: from.topLine };
  }

  private hinted(blocks: readonly TextBlock[], tokenized: readonly Tokenized[], budget: number, hint: number | undefined) {
    if (hint === undefined) return undefined;
    const b = blocks.findIndex((block, i) => hint >= block.line && hint - block.line < tokenized[i]!.lineStarts.length);
    if (b < 0) return undefined;
    const token = tokenized[b]!.lineStarts[hint - blocks[b]!.line]!;
    if (token < 0) return undefined;
    let size = tokenized[b]!.tokens.length - token;
    for (let i = b + 1; i < blocks.length; i++) size += tokenized[i]!.tokens.length;
    return size <= budget && size >= budget / 2 ? { block: b, token, topLine: hint } : undefined;
  }

  private cut(blocks: readonly TextBlock[], tokenized: readonly Tokenized[], budget: number) {
    let left = budget;
    for (let b = blocks.length - 1; b >= 0; b--) {
      const t = tokenized[b]!;
      if (t.tokens.length <= left) {
        left -= t.tokens.length;
        continue;
      }
      const cutAt = t.tokens.length - left;
      const line = t.lineStarts.findIndex((start) => start >= cutAt);
      if (line >= 0) return { block: b, token: t.lineStarts[line]!, topLine: blocks[b]!.line + line };
      return { block: b, token: Math.min(cutAt, t.tokens.length), topLine: undefined };
    }
    return { block: 0, token: 0, topLine: blocks[0]?.line };
  }

  /** Other files: in the repository format where the model has one, else as labelled comments. */
  private extra(parts: PromptParts, budget: number): { header: number[]; comments: number[] } {
    const chunks = parts.extra ?? [];
    const none = { header: [], comments: [] };
    if (chunks.length === 0) return none;
    const repo = this.fim?.repository ?? null;
    if (repo !== null) {
      const open = [repo.repoName, ...this.tokens(`${parts.repo ?? DEFAULT_REPO}\n`).tokens];
      const close = [repo.fileSep, ...this.tokens(`${parts.path ?? 'untitled'}\n`).tokens];
      const files = this.newestThatFit(chunks, budget - open.length - close.length, (c) => [repo.fileSep, ...this.tokens(`${c.path}\n${withBreak(c.text)}`).tokens]);
      return files.length === 0 ? none : { header: [...open, ...files, ...close], comments: [] };
    }
    if (!parts.comment) return none;
    return { header: [], comments: this.newestThatFit(chunks, budget, (c) => [...this.tokens(`${parts.comment} ${c.path}\n${withBreak(c.text)}`).tokens]) };
  }

  private newestThatFit(chunks: readonly ContextChunk[], budget: number, render: (c: ContextChunk) => number[]): number[] {
    const kept: number[][] = [];
    let used = 0;
    for (let i = chunks.length - 1; i >= 0; i--) {
      const tokens = render(chunks[i]!);
      if (used + tokens.length > budget) continue;
      kept.push(tokens);
      used += tokens.length;
    }
    return kept.reverse().flat();
  }

  private tokens(text: string): Tokenized {
    const hit = this.cache.get(text);
    if (hit !== undefined) {
      // Map order is insertion order: re-inserting marks the entry as recently used.
      this.cache.delete(text);
      this.cache.set(text, hit);
      return hit;
    }
    const tokens = text === '' ? [] : this.vocab.tokenize(text);
    const entry = { tokens, lineStarts: this.lineStarts(tokens) };
    this.cache.set(text, entry);
    if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  private lineStarts(tokens: readonly number[]): number[] {
    const starts = [0];
    tokens.forEach((token, i) => {
      const text = this.tokenText(token);
      let breaks = 0;
      for (const ch of text) if (ch === '\n') breaks++;
      for (let k = 1; k <= breaks; k++) starts.push(k === breaks && text.endsWith('\n') ? i + 1 : -1);
    });
    return starts;
  }

  private tokenText(token: number): string {
    let text = this.texts.get(token);
    if (text === undefined) {
      text = this.vocab.tokenText(token);
      this.texts.set(token, text);
    }
    return text;
  }
}

const withBreak = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
