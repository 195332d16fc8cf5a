/**
 * The LanguageModel the decoding engine drives, backed by one llama.cpp context whose sequences
 * are the branches. Forks copy KV state, a step's branches go to llama.cpp as one batch, and a
 * new prompt reuses whatever prefix a cached sequence already holds.
 */

import type { LlamaModel } from 'node-llama-cpp';
import {
  AbortError, throwIfAborted,
  type Branch, type EvaluateRequest, type GeneratedToken, type GenerateRequest, type GenerationEnd, type LanguageModel, type NextTokenScores,
  type PromptState, type StartOptions,
} from '../decoding/language-model';
import { DraftPolicy } from '../decoding/draft-policy';
import { draftedGreedy, type DraftTarget } from './drafted-greedy';
import { ContextOverflowError, InvalidBranchError, InvalidTokenError, ModelDisposedError, ModelError } from './errors';
import { emptyBackendStats, type BackendStats } from './backend-stats';
import type { BatchCounters } from './batching';
import type { SequenceDriver } from './llama-internals';
import { sliceScores } from './scores';
import { SlotKv } from './slot-kv';
import { SlotTable, type Slot } from './slots';


/** One request of an evaluate() call, planned: the tokens to decode, or scores already known. */
interface Job {
  readonly slot: Slot;
  readonly tokens: number[];
  readonly topN: number;
  readonly cached?: NextTokenScores;
}

class LlamaBranch implements Branch {
  constructor(readonly id: number, readonly owner: LlamaLanguageModel) {}
}

export interface LlamaLanguageModelOptions {
  readonly vocabSize: number;
  readonly contextSize: number;
  /** Extra end-of-generation ids (FIM end markers) besides llama.cpp's own EOG set. */
  readonly endTokens: ReadonlySet<number>;
  /** Prompt tokens per llama_decode in start(); the abort signal is checked between chunks. */
  readonly promptChunk: number;
  /** Most prompt-lookup tokens drafted per decode of greedy's generation; 0: no generate(), greedy steps through evaluate(). */
  readonly draftTokens: number;
}

export class LlamaLanguageModel implements LanguageModel {
  readonly vocabSize: number;
  readonly contextSize: number;
  readonly maxBranches: number;
  private readonly table: SlotTable;
  private readonly slotOfBranch = new Map<LlamaBranch, Slot>();
  private readonly counts = emptyBackendStats();
  private nextId = 1;
  private closed = false;
  /** What drafts cost and earn on this model and machine, learnt across completions. */
  private readonly draftPolicy = new DraftPolicy();
  private readonly kv: SlotKv;

  constructor(
    private readonly model: LlamaModel,
    table: SlotTable,
    private readonly driver: SequenceDriver,
    private readonly batches: BatchCounters,
    private readonly options: LlamaLanguageModelOptions,
  ) {
    this.table = table;
    this.vocabSize = options.vocabSize;
    this.contextSize = options.contextSize;
    this.maxBranches = table.slots.length;
    this.kv = new SlotKv(driver, table, this.counts, options);
  }

  /** Branches handed out and not yet released. */
  get liveBranches(): number {
    return this.slotOfBranch.size;
  }

  get stats(): BackendStats {
    return { ...this.counts, decodeCalls: this.batches.batches, maxBatchSequences: this.batches.maxBatchSequences };
  }

  /** Which tokens end generation is fixed per model: cached like token texts, since strategies ask at every step and each answer is a native call. */
  private readonly endOfGeneration = new Map<number, boolean>();

  isEndOfGeneration(token: number): boolean {
    let eog = this.endOfGeneration.get(token);
    if (eog === undefined) {
      eog = this.options.endTokens.has(token) || this.model.isEogToken(token as never);
      this.endOfGeneration.set(token, eog);
    }
    return eog;
  }

  /** Token texts are fixed per model: cached, since every step asks for several of them. */
  private readonly tokenTexts = new Map<number, string>();

  tokenText(token: number): string {
    let text = this.tokenTexts.get(token);
    if (text === undefined) {
      this.checkTokens([token]);
      text = this.model.detokenize([token as never], true);
      this.tokenTexts.set(token, text);
    }
    return text;
  }

  detokenize(tokens: readonly number[]): string {
    this.checkTokens(tokens);
    return this.model.detokenize(tokens as never[], false);
  }

  async start(tokens: readonly number[], topN: number, signal?: AbortSignal, options: StartOptions = {}): Promise<PromptState> {
    this.ensureOpen();
    throwIfAborted(signal);
    this.checkTokens(tokens);
    if (tokens.length === 0) throw new ModelError('The prompt is empty');
    if (tokens.length > this.contextSize - 1) {
      throw new ContextOverflowError(`The prompt has ${tokens.length} tokens but the context holds ${this.contextSize - 1}; budget it with buildCompletionPrompt().`);
    }
    this.counts.starts++;
    const branch = new LlamaBranch(this.nextId++, this);
    const { slot, copyFrom } = this.table.claimForPrompt(tokens, branch, options);
    this.slotOfBranch.set(branch, slot);
    try {
      if (copyFrom !== undefined) await this.table.exclusive([copyFrom, slot], () => this.kv.copyInto(slot, copyFrom));
      const done = await this.table.exclusive([slot], () => this.kv.extendTo(slot, tokens, topN, signal, options));
      return { branch, tokens: [...tokens], next: sliceScores(done.scores, topN), evaluated: done.evaluated, shifted: done.shifted };
    } catch (err) {
      this.release(branch);
      throw err;
    }
  }

  fork(branch: Branch): Branch {
    this.ensureOpen();
    const source = this.slotOf(branch);
    const child = new LlamaBranch(this.nextId++, this);
    const target = this.table.claimForFork(child);
    this.slotOfBranch.set(child, target);
    this.counts.forks++;
    // copyInto records a failure on the target, where the child's next evaluate() reports it.
    this.table.exclusive([source, target], () => this.kv.copyInto(target, source)).catch(() => undefined);
    return child;
  }

  release(branch: Branch): void {
    const slot = this.slotOf(branch);
    this.slotOfBranch.delete(branch as LlamaBranch);
    this.table.release(slot);
  }

  truncate(branch: Branch, length: number): boolean {
    this.ensureOpen();
    const slot = this.slotOf(branch);
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`truncate: a branch keeps at least one token, not ${length}`);
    // Queued like a fork; a failure is recorded on the slot, where the branch's next evaluate() reports it.
    this.table.exclusive([slot], async () => {
      if (slot.tokens.length + slot.owed.length <= length) return;
      try {
        // Only owed tokens dropped: the KV cache and its scores stay.
        await this.kv.cut(slot, length, slot.tokens.length <= length ? slot.scores : undefined);
      } catch (err) {
        slot.error = err;
        this.kv.resync(slot);
      }
    }).catch(() => undefined);
    return true;
  }

  /**
   * Greedy generation with prompt-lookup drafts (drafted-greedy.ts): the same tokens and scores as
   * greedy's steps through evaluate(), in fewer decodes where the code repeats what the prompt
   * holds. Undefined for sampling, with drafting off, or with no token to append.
   */
  generate(request: GenerateRequest, signal?: AbortSignal): AsyncGenerator<GeneratedToken, GenerationEnd> | undefined {
    this.ensureOpen();
    if (request.sampling !== undefined || this.options.draftTokens < 1 || request.tokens.length === 0) return undefined;
    const slot = this.slotOf(request.branch);
    this.checkTokens(request.tokens);
    return draftedGreedy(this.draftTarget(slot), request, { maxDraft: this.options.draftTokens, policy: this.draftPolicy }, signal);
  }

  private draftTarget(slot: Slot): DraftTarget {
    return {
      settled: () => this.table.exclusive([slot], async () => {
        if (slot.error !== undefined) throw slot.error;
      }),
      tokens: () => slot.tokens,
      room: () => this.contextSize - 1 - slot.tokens.length - slot.owed.length,
      decodeEach: (tokens, topN, from, more) => this.table.exclusive([slot], async () => {
        if (slot.error !== undefined) throw slot.error;
        this.ensureOpen();
        return this.kv.append(slot, tokens, () => this.driver.decodeEach(slot.seq, tokens, Math.max(1, topN), from, more));
      }),
      cut: (length) => this.table.exclusive([slot], () => this.kv.cut(slot, length, undefined)),
      owe: (tokens) => slot.owed.push(...tokens),
      takeOwed: () => slot.owed.splice(0),
      isEndOfGeneration: (token) => this.isEndOfGeneration(token),
      count: (drafted, accepted) => {
        this.counts.draftDecodes++;
        this.counts.draftedTokens += drafted;
        this.counts.draftedTokensAccepted += accepted;
      },
    };
  }

  async evaluate(requests: readonly EvaluateRequest[], signal?: AbortSignal): Promise<NextTokenScores[]> {
    this.ensureOpen();
    throwIfAborted(signal);
    this.counts.evaluateCalls++;
    const slots = requests.map((r) => this.slotOf(r.branch));
    if (new Set(slots).size !== slots.length) throw new InvalidBranchError('A branch appears twice in one evaluate() call');
    for (const r of requests) this.checkTokens(r.tokens);
    const results = await this.table.exclusive(slots, async () => {
      for (const s of slots) if (s.error !== undefined) throw s.error;
      requests.forEach((r, i) => this.checkRoom(slots[i]!, r.tokens.length));
      throwIfAborted(signal);
      const before = slots.map((s) => ({ length: s.tokens.length, scores: s.scores, owed: [...s.owed] }));
      const planned = requests.map((r, i) => this.plan(slots[i]!, r));
      // Only a re-read waits (it erases a token first); then every decode still goes out in one tick.
      const jobs = planned.some((p) => p instanceof Promise) ? await Promise.all(planned) : (planned as Job[]);
      // Issued in one tick, so node-llama-cpp's dispatcher puts them into one llama_decode batch;
      // and in the order of their sequences, since llama.cpp (one KV stream per sequence) splits a
      // batch wherever the next sequence is not the one after the last: out of order, each branch
      // would be a decode of its own.
      const issued = new Array<Promise<NextTokenScores>>(jobs.length);
      for (const i of [...jobs.keys()].sort((a, b) => jobs[a]!.slot.index - jobs[b]!.slot.index)) {
        const job = jobs[i]!;
        issued[i] = job.tokens.length === 0 ? Promise.resolve(job.cached!) : this.kv.decodeInto(job.slot, job.tokens, job.topN);
      }
      const settled = await Promise.allSettled(issued);
      if (signal?.aborted) {
        // A cancelled step leaves every branch as it was, so callers need not guess what it appended.
        await Promise.all(slots.map((s, i) => this.kv.cut(s, before[i]!.length, before[i]!.scores)));
        slots.forEach((s, i) => (s.owed = before[i]!.owed));
        throw new AbortError();
      }
      return settled;
    });
    const failure = results.find((r) => r.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    return results.map((r, i) => sliceScores((r as PromiseFulfilledResult<NextTokenScores>).value, requests[i]!.topN));
  }

  /** Waits for pending work, then frees the native samplers. The LlamaModel's owner frees the rest. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.table.slots.map((s) => s.queue));
    this.driver.dispose();
  }

  private checkRoom(slot: Slot, adding: number): void {
    if (slot.tokens.length + slot.owed.length + adding > this.contextSize - 1) {
      throw new ContextOverflowError(`A branch of ${slot.tokens.length + slot.owed.length} tokens cannot take ${adding} more: the context holds ${this.contextSize - 1}.`);
    }
  }

  /** What a request decodes; synchronous unless the branch's scores must be re-read (the usual step awaits nothing). */
  private plan(slot: Slot, r: EvaluateRequest): Job | Promise<Job> {
    // A generation's last pick is not in the KV cache yet: it goes first.
    if (slot.owed.length > 0 || r.tokens.length > 0) return { slot, tokens: [...slot.owed.splice(0), ...r.tokens], topN: r.topN };
    if (slot.scores !== undefined && this.kv.depth(slot.scores) >= r.topN) return { slot, tokens: [], topN: r.topN, cached: slot.scores };
    // Scores were not kept (or not deep enough): evaluate the last token again.
    if (slot.tokens.length === 0) throw new ModelError('An empty branch has no next-token scores');
    const last = slot.tokens.length - 1;
    return slot.seq.eraseContextTokenRanges([{ start: last, end: slot.tokens.length }]).then(() => {
      const tokens = slot.tokens.slice(last);
      this.table.truncated(slot, last);
      return { slot, tokens, topN: r.topN };
    });
  }

  private slotOf(branch: Branch): Slot {
    const slot = branch instanceof LlamaBranch && branch.owner === this ? this.slotOfBranch.get(branch) : undefined;
    if (slot === undefined) throw new InvalidBranchError(`Branch ${branch.id} is not a live branch of this model (released already?)`);
    return slot;
  }

  private checkTokens(tokens: readonly number[]): void {
    for (const t of tokens) {
      if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) throw new InvalidTokenError(`Token id ${t} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new ModelDisposedError();
  }
}
