/**
 * Greedy generation with prompt-lookup drafts (src/decoding/prompt-lookup.ts), for a backend that
 * can read the scores after several tokens of one decode. Each decode appends the token picked
 * last plus a draft, and reads position after position while the draft matches the model's own
 * greedy pick, which is the same rule and the same scores as greedy's step-by-step loop: a draft
 * can only save decodes, never change a token. The drafted tokens that were not the model's pick
 * are erased before anything is yielded.
 */

import { Distribution } from '../decoding/distribution';
import { AbortError, type GeneratedToken, type GenerateRequest, type GenerationEnd, type NextTokenScores } from '../decoding/language-model';
import type { DraftPolicy } from '../decoding/draft-policy';
import { lookupDraft } from '../decoding/prompt-lookup';
import type { DecodedEach } from './llama-internals';

/** What the generation needs of the branch it runs on; every method keeps the branch's queue order. */
export interface DraftTarget {
  /** Settles once the operations queued on the branch (a fork's copy) have run: its state is known. */
  settled(): Promise<void>;
  /** Tokens the branch's KV cache holds now. */
  tokens(): readonly number[];
  /** Tokens the branch may still take. */
  room(): number;
  /** One decode of `tokens`, reading from index `from` on while `more` says so (SequenceDriver.decodeEach). */
  decodeEach(tokens: readonly number[], topN: number, from: number, more: (scores: NextTokenScores) => boolean): Promise<DecodedEach>;
  /** Erases the KV cache after its first `length` tokens. */
  cut(length: number): Promise<void>;
  /** Records tokens the branch holds beyond its KV cache, for its next evaluation to append first. */
  owe(tokens: readonly number[]): void;
  /** Takes the tokens owed so far (a generation's last pick), to decode them first. */
  takeOwed(): number[];
  isEndOfGeneration(token: number): boolean;
  /** Counts one decode: tokens drafted into it and how many of them were the model's picks. */
  count(drafted: number, accepted: number): void;
}

export interface DraftOptions {
  /** Most drafted tokens per decode. */
  readonly maxDraft: number;
  /** How long a draft pays on this model and machine; it learns from every decode. */
  readonly policy: DraftPolicy;
}

const NO_COST = { calls: 0, tokens: 0 } as const;
const pick = (scores: NextTokenScores, topN: number): number => Distribution.fromScores(scores, topN).ids[0]!;

/**
 * The stream GenerateRequest asks for (greedy; `request.tokens` non-empty). When it ends, early
 * or not, the branch holds exactly the request's tokens and the tokens yielded, the last of them
 * owed (not yet in the KV cache), as a step-by-step greedy loop would leave it.
 */
export async function* draftedGreedy(
  target: DraftTarget, request: GenerateRequest, options: DraftOptions, signal?: AbortSignal,
): AsyncGenerator<GeneratedToken, GenerationEnd> {
  await target.settled();
  const base = target.tokens().length;
  let feed = [...target.takeOwed(), ...request.tokens];
  /** Tokens the branch holds by the consumer's account: the request's and those yielded. */
  let held = feed.length;
  let produced = 0;
  try {
    while (produced < request.maxTokens) {
      if (signal?.aborted) throw new AbortError();
      const room = target.room() - feed.length;
      if (room < 0) return 'length';
      const history = [...target.tokens(), ...feed];
      const most = options.policy.length(Math.min(options.maxDraft, request.maxTokens - produced - 1, room));
      const draft = lookupDraft(history, { maxDraft: most });
      let j = 0;
      const batch = [...feed, ...draft];
      const { read, decodeMs } = await target.decodeEach(batch, request.topN, feed.length - 1, (scores) => j < draft.length && pick(scores, request.topN) === draft[j++]);
      const accepted = read.length - 1;
      options.policy.record(batch.length, decodeMs, draft.length, accepted);
      target.count(draft.length, accepted);
      // Keep the fed tokens and the accepted drafts; the pick after them is owed until the next decode.
      const keep = target.tokens().length - (draft.length - accepted);
      if (accepted < draft.length) await target.cut(keep);
      const next = pick(read[accepted]!, request.topN);
      feed = [next];
      for (let i = 0; i <= accepted; i++) {
        const token = i < accepted ? draft[i]! : next;
        held++;
        produced++;
        yield { token, scores: read[i]!, cost: i === 0 ? { calls: 1, tokens: batch.length } : NO_COST };
        if (target.isEndOfGeneration(token)) return 'end-of-generation';
        if (produced >= request.maxTokens) return 'length';
      }
    }
    return 'length';
  } finally {
    // The consumer may stop in the middle of a decode's accepted drafts: erase what it did not take.
    const inCache = target.tokens().length - base;
    if (held < inCache) await target.cut(base + held);
    else if (held > inCache) target.owe(feed.slice(feed.length - (held - inCache)));
  }
}
