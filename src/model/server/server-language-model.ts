/**
 * The LanguageModel over llama-server's HTTP API. A branch is its token list on this side; the
 * server's slots are caches of evaluated prefixes, and with `cache_prompt` a request evaluates only
 * what the slot it lands on lacks (request-limit.ts says why the server picks the slot). A step
 * sends one /completion with every branch's prompt (token ids, one token to predict each, the top-N
 * log-probabilities of the full softmax), which the server decodes as one batch; greedy and
 * sampling generate from one streamed request per candidate (generate()).
 */

import {
  AbortError, throwIfAborted,
  type Branch, type EvaluateRequest, type GeneratedToken, type GenerateRequest, type GenerationEnd, type LanguageModel, type NextTokenScores, type PromptState, type StartOptions,
} from '../../decoding/language-model';
import { emptyBackendStats, type BackendStats } from '../backend-stats';
import { ContextOverflowError, InvalidBranchError, InvalidTokenError, ModelDisposedError } from '../errors';
import { missingScoresError } from './errors';
import { serverSampling } from './server-samplers';
import { heldBackIn, recoverHeldBack, type HeldBack } from './held-back';
import { scoresOf, scoresWithinSet, type CompletionResponse, type PostSamplingResponse } from './server-scores';
import type { ServerClient } from './http';
import type { RequestLimit } from './request-limit';
import type { ServerVocabulary } from './server-vocab';

/** How a streamed answer's last event says it ended; undefined while it goes on. */
const endOf = (event: CompletionResponse): GenerationEnd | undefined => (event.stop ? (event.stop_type === 'eos' ? 'end-of-generation' : 'length') : undefined);

class ServerBranch implements Branch {
  released = false;
  constructor(readonly id: number, readonly tokens: number[], public next: { scores: NextTokenScores; topN: number } | undefined) {}
}

/**
 * Added to the logits of the tokens scoresWithin() keeps: more than a model's logits span (tens of
 * nats), so the others' share of the softmax vanishes, while float32 still resolves the lifted
 * logits to about 1e-5.
 */
const ALLOWED_BIAS = 200;
/** A bias that makes the forced token the sampled one (logits span tens of nats). */
const FORCED_BIAS = 1e6;
/** Prompts whose first scores are kept (a few keystrokes' worth, and a background warm-up's). */
const PROMPT_SCORES_KEPT = 8;

export class ServerLanguageModel implements LanguageModel {
  readonly vocabSize: number;
  private readonly counts: BackendStats = emptyBackendStats();
  private nextId = 1;
  private closed = false;
  private readonly live = new Map<number, ServerBranch>();
  private readonly inFlight = new Set<AbortController>();
  /**
   * The first scores of recent prompts. Typing inside a word leaves the healed prompt (the prompt
   * without its last token) as it was, and llama-server keeps no logits: asking again would make it
   * evaluate the prompt's last token again, each keystroke.
   */
  private readonly promptScores = new Map<string, { scores: NextTokenScores; topN: number }>();

  constructor(
    private readonly client: ServerClient,
    private readonly vocab: ServerVocabulary,
    private readonly limit: RequestLimit,
    readonly contextSize: number,
    private readonly endTokens: ReadonlySet<number>,
    /** The server's build (`/props` build_info, such as "b6123-abcdef0"), for errors it explains. */
    private readonly build?: string,
  ) {
    this.vocabSize = vocab.size;
  }

  /** The end-of-sequence token, which a step's request forces as its sampled token (the vocabulary always has one). */
  private get forcedToken(): number {
    return this.vocab.eos!;
  }

  get liveBranches(): number {
    return this.live.size;
  }

  get stats(): BackendStats {
    return { ...this.counts };
  }

  /** The connection's HTTP counters: round trips so far, and the most requests in flight at once. */
  get http(): { readonly requests: number; readonly maxInFlight: number } {
    return { requests: this.client.requests, maxInFlight: this.client.maxInFlight };
  }

  isEndOfGeneration(token: number): boolean {
    return this.endTokens.has(token);
  }

  tokenText(token: number): string {
    return this.vocab.tokenText(token);
  }

  detokenize(tokens: readonly number[]): string {
    return this.vocab.detokenize(tokens);
  }

  async start(tokens: readonly number[], topN: number, signal?: AbortSignal, _options?: StartOptions): Promise<PromptState> {
    this.check();
    if (tokens.length === 0) throw new RangeError('A prompt needs at least one token');
    this.counts.starts++;
    const key = tokens.join(',');
    const known = this.promptScores.get(key);
    if (known && known.topN >= Math.min(topN, this.vocabSize)) {
      this.promptScores.delete(key);
      this.promptScores.set(key, known);
      this.counts.promptTokensReused += tokens.length;
      const branch = this.adopt(new ServerBranch(this.nextId++, [...tokens], known));
      return { branch, tokens: [...tokens], next: known.scores, evaluated: 0 };
    }
    const branch = this.adopt(new ServerBranch(this.nextId++, [...tokens], undefined));
    try {
      const [next] = await this.step([{ branch, topN }], signal);
      this.promptScores.set(key, { scores: next!.scores, topN });
      if (this.promptScores.size > PROMPT_SCORES_KEPT) this.promptScores.delete(this.promptScores.keys().next().value!);
      return { branch, tokens: [...tokens], next: next!.scores, evaluated: next!.evaluated };
    } catch (e) {
      this.release(branch);
      throw e;
    }
  }

  fork(branch: Branch): Branch {
    const b = this.own(branch);
    this.counts.forks++;
    return this.adopt(new ServerBranch(this.nextId++, [...b.tokens], b.next));
  }

  release(branch: Branch): void {
    const b = this.own(branch);
    b.released = true;
    this.live.delete(b.id);
  }

  async evaluate(requests: readonly EvaluateRequest[], signal?: AbortSignal): Promise<NextTokenScores[]> {
    this.check();
    this.counts.evaluateCalls++;
    const jobs = requests.map((r) => {
      const branch = this.own(r.branch);
      for (const t of r.tokens) this.checkToken(t);
      if (r.tokens.length > 0) {
        branch.tokens.push(...r.tokens);
        branch.next = undefined;
      }
      return { branch, topN: r.topN };
    });
    const cached = jobs.map((j) => (j.branch.next && j.branch.next.topN >= Math.min(j.topN, this.vocabSize) ? j.branch.next.scores : undefined));
    const todo = jobs.filter((_, i) => cached[i] === undefined);
    const done = await this.step(todo, signal);
    let k = 0;
    return cached.map((c) => c ?? done[k++]!.scores);
  }

  generate(request: GenerateRequest, signal?: AbortSignal): AsyncGenerator<GeneratedToken, GenerationEnd> | undefined {
    this.check();
    const sampling = request.sampling ? serverSampling(request.sampling.chain, request.sampling.seed) : undefined;
    if (request.sampling && !sampling) return undefined;
    const branch = this.own(request.branch);
    for (const t of request.tokens) this.checkToken(t);
    return this.stream(branch, request, sampling, signal);
  }

  /**
   * The distribution restricted to `allowed`, computed by the server: a logit bias lifts the allowed
   * tokens so far above the rest that the softmax after the sampler chain is theirs alone
   * (`post_sampling_probs`), instead of sending the whole vocabulary as JSON (151,936 entries for
   * Qwen) to renormalise here.
   */
  async scoresWithin(branch: Branch, allowed: readonly number[], signal?: AbortSignal): Promise<NextTokenScores | undefined> {
    this.check();
    const b = this.own(branch);
    if (allowed.length === 0) return undefined;
    const { controller, release } = await this.turn(signal);
    try {
      const response = await this.client.post<PostSamplingResponse>('/completion', {
        ...this.body(b.tokens, allowed.length), n_predict: 1, post_sampling_probs: true, samplers: ['temperature'], temperature: 1,
        logit_bias: allowed.map((id) => [id, ALLOWED_BIAS]),
      }, controller.signal);
      return scoresWithinSet(response);
    } finally {
      release();
    }
  }

  /** Aborts every request in flight (dispose). */
  close(): void {
    this.closed = true;
    for (const c of this.inFlight) c.abort();
  }

  private async *stream(branch: ServerBranch, request: GenerateRequest, sampling: Record<string, unknown> | undefined, signal?: AbortSignal): AsyncGenerator<GeneratedToken, GenerationEnd> {
    // Here, not in generate(): a stream that is dropped unread leaves the branch as it was.
    branch.tokens.push(...request.tokens);
    branch.next = undefined;
    if (this.contextSize - branch.tokens.length < 1) throw this.overflow(branch.tokens.length);
    let produced = 0;
    // One stream, or more where the server held tokens back: those are recovered, then a new
    // stream goes on from after them (a sampled one draws afresh from its seed there).
    for (;;) {
      const predict = Math.min(request.maxTokens - produced, this.contextSize - branch.tokens.length);
      if (predict < 1) return 'length';
      const { controller, release } = await this.turn(signal);
      const body = { ...this.body(branch.tokens, request.topN), ...sampling, n_predict: predict, stream: true };
      const events = this.client.stream<CompletionResponse>('/completion', body, controller.signal);
      let end: GenerationEnd | undefined;
      let held: HeldBack | undefined;
      let received = 0;
      try {
        for (let next = await events.next(); !next.done && !held; next = await events.next()) {
          const event = next.value;
          held = heldBackIn(event, received);
          if (held) {
            end = endOf(event);
            break;
          }
          for (const p of event.completion_probabilities ?? []) {
            branch.tokens.push(p.id);
            received++;
            produced++;
            yield { token: p.id, scores: scoresOf(this.vocab, p, request.topN) };
          }
          if (event.timings) this.counts.tokensEvaluated += (event.timings.prompt_n ?? 0) + Math.max(0, (event.timings.predicted_n ?? 1) - 1);
          end = endOf(event);
        }
      } finally {
        await events.return(undefined);
        release();
        // llama-server closes the connection after a streamed answer: open the next one now, while
        // the user reads the suggestion, not when the next keystroke's request is waiting for it.
        if (!this.closed) this.client.warmConnection();
      }
      if (!held) return end ?? 'length';
      for await (const t of this.recoverHeldBack(branch, held, request.topN, end === 'end-of-generation', signal)) {
        produced++;
        yield t;
      }
      if (end) return end;
    }
  }

  /** The tokens a stream held back, each from its position's scores, then the entries that came after them. */
  private async *recoverHeldBack(branch: ServerBranch, held: HeldBack, topN: number, endedOnEnd: boolean, signal?: AbortSignal): AsyncGenerator<GeneratedToken> {
    const scoresAt = async (n: number) => {
      branch.next = undefined;
      return (await this.step([{ branch, topN: Math.min(n, this.vocabSize) }], signal))[0]!.scores;
    };
    for await (const t of recoverHeldBack(held, topN, { scoresAt, bytesOf: (id) => this.vocab.bytesOf(id), isEnd: (id) => this.endTokens.has(id), endedOnEnd, url: this.client.url })) {
      branch.tokens.push(t.token);
      branch.next = undefined;
      yield t;
    }
    for (const p of held.after) {
      branch.tokens.push(p.id);
      // Its `bytes` are the text it sent, the held-back bytes included: not its own to learn.
      yield { token: p.id, scores: scoresOf(this.vocab, { ...p, bytes: undefined }, topN) };
    }
  }

  /**
   * One /completion for the whole step: its prompts as a list, which llama-server queues as one
   * task each, together, so one round trip carries the step and its decoding batches them.
   */
  private async step(jobs: readonly { branch: ServerBranch; topN: number }[], signal?: AbortSignal): Promise<{ scores: NextTokenScores; evaluated: number }[]> {
    throwIfAborted(signal);
    if (jobs.length === 0) return [];
    for (const j of jobs) if (j.branch.tokens.length >= this.contextSize) throw this.overflow(j.branch.tokens.length);
    if (jobs.length > this.counts.maxBatchSequences) this.counts.maxBatchSequences = jobs.length;
    this.counts.decodeCalls++;
    const topN = Math.max(...jobs.map((j) => j.topN));
    const prompts = jobs.map((j) => [...j.branch.tokens]);
    const { controller, release } = await this.turn(signal, prompts.length);
    try {
      // The sampled token is forced to be the end-of-sequence token, which the server never holds
      // back as it does a token that ends inside a UTF-8 character (held-back.ts): such a token's
      // probabilities never come back. The scores are the softmax before sampling, bias-free.
      const body = { ...this.body(prompts.length === 1 ? prompts[0]! : prompts, topN), n_predict: 1, logit_bias: [[this.forcedToken, FORCED_BIAS]] };
      const answer = await this.client.post<CompletionResponse | CompletionResponse[]>('/completion', body, controller.signal);
      const results = Array.isArray(answer) ? answer : [answer];
      return jobs.map((job, i) => {
        const response = results.find((r) => (r.index ?? 0) === i) ?? results[i];
        const first = response?.completion_probabilities?.[0];
        if (!first?.top_logprobs) throw missingScoresError(this.client.url, response, i, jobs.length, this.build);
        const evaluated = response!.timings?.prompt_n ?? prompts[i]!.length;
        this.counts.tokensEvaluated += evaluated;
        this.counts.promptTokensReused += prompts[i]!.length - evaluated;
        const scores = scoresOf(this.vocab, first, topN, first.id !== this.forcedToken);
        job.branch.next = { scores, topN };
        return { scores, evaluated };
      });
    } finally {
      release();
    }
  }

  /** A turn to send a request of `prompts` prompts (at most one per server slot in flight), cancelled with `signal` or close(). */
  private async turn(signal?: AbortSignal, prompts = 1) {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.inFlight.add(controller);
    const done = await this.limit.acquire(prompts);
    const release = () => {
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(controller);
      done();
    };
    if (signal?.aborted || this.closed) {
      release();
      throw this.closed ? new ModelDisposedError() : new AbortError();
    }
    return { controller, release };
  }

  /** A /completion's common fields: the prompt (token ids, or a list of prompts), top-N, prompt cache, greedy. */
  private body(prompt: readonly number[] | readonly (readonly number[])[], topN: number) {
    return {
      prompt,
      n_probs: Math.min(topN, this.vocabSize),
      cache_prompt: true,
      // Greedy on the server's side; the scores sent back are the full softmax before sampling.
      samplers: ['top_k'],
      top_k: 1,
      post_sampling_probs: false,
      return_tokens: false,
    };
  }

  private adopt(b: ServerBranch): ServerBranch {
    this.live.set(b.id, b);
    return b;
  }

  private own(branch: Branch): ServerBranch {
    const b = this.live.get(branch.id);
    if (!(branch instanceof ServerBranch) || b !== branch || b.released) throw new InvalidBranchError(`Branch ${branch.id} is not a live branch of this server model`);
    return b;
  }

  private check(): void {
    if (this.closed) throw new ModelDisposedError();
  }

  private checkToken(t: number): void {
    if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) throw new InvalidTokenError(`Token ${t} is outside the vocabulary (0-${this.vocabSize - 1})`);
  }

  private overflow(length: number): ContextOverflowError {
    return new ContextOverflowError(`A branch of ${length} tokens does not fit the server's context of ${this.contextSize} tokens per slot; start llama-server with a larger -c, or fewer -np slots.`);
  }
}
