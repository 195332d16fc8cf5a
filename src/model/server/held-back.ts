/**
 * Tokens llama-server generated but never sent. The server holds back a token whose text ends in
 * an incomplete UTF-8 sequence (a byte-fallback token, one piece of a CJK character or an emoji)
 * until a later token completes the character, and then sends only that later token: its text
 * carries the held-back bytes, but the held-back token's id and probabilities are gone
 * (tools/server/server-context.cpp, process_token: only the completing token is added to the
 * slot's token probabilities). A stream shows the gap as `tokens_predicted` running ahead of the
 * tokens received; these helpers say what is missing and which token it was.
 */

import type { GeneratedToken, NextTokenScores } from '../../decoding/language-model';
import { ServerCapabilityError } from './errors';
import type { TokenProbs } from './server-scores';

/** What a streamed answer skipped before its entries (or before its end). */
export interface HeldBack {
  /** Tokens generated and not sent. */
  readonly count: number;
  /**
   * Their bytes followed by those of the entries after them, when an entry came: its `bytes` are
   * the text it sent (the held-back bytes and its own), exact where the JSON `content` is not
   * (an invalid sequence there becomes U+FFFD).
   */
  readonly bytes: Uint8Array | undefined;
  /** The answer's entries that came after them (the tokens that completed the character). */
  readonly after: readonly TokenProbs[];
}

/** An event's gap: the tokens it predicted beyond those received so far and those it carries. */
export function heldBackIn(event: { readonly tokens_predicted?: number; readonly completion_probabilities?: readonly TokenProbs[] }, received: number): HeldBack | undefined {
  const after = event.completion_probabilities ?? [];
  if (event.tokens_predicted === undefined) return undefined;
  const count = event.tokens_predicted - received - after.length;
  if (count <= 0) return undefined;
  const sent = after.flatMap((p) => p.bytes ?? []);
  return { count, bytes: after.length > 0 && sent.length > 0 ? Uint8Array.from(sent) : undefined, after };
}

/**
 * The held-back token at a position, from that position's scores: the most likely token whose
 * bytes begin what is left of the held-back bytes and leave at least a byte for each token still
 * to come (`following`); where the bytes are unknown (the stream ended on the held-back tokens),
 * the most likely token: what a greedy stream picked; for a sampled stream, a stand-in the
 * server's sampler may not have drawn. Undefined when no listed token fits the bytes.
 */
export function pickHeldToken(scores: NextTokenScores, rest: Uint8Array | undefined, following: number, bytesOf: (id: number) => Uint8Array): number | undefined {
  const order = [...scores.ids.keys()].sort((a, b) => scores.logits[b]! - scores.logits[a]!);
  if (rest === undefined) return order.length > 0 ? scores.ids[order[0]!] : undefined;
  for (const i of order) {
    const b = bytesOf(scores.ids[i]!);
    if (b.length === 0 || b.length > rest.length - following) continue;
    if (Buffer.from(rest.buffer, rest.byteOffset, b.length).equals(b)) return scores.ids[i];
  }
  return undefined;
}


export interface Recovery {
  /** The next position's scores, with at least this many of the most likely tokens (one step). */
  scoresAt(topN: number): Promise<NextTokenScores>;
  bytesOf(id: number): Uint8Array;
  isEnd(id: number): boolean;
  /** The stream ended on an end-of-generation token while holding back: that token is the last held back. */
  readonly endedOnEnd: boolean;
  readonly url: string;
}

/** The held-back tokens in order, each with its position's scores; the caller extends the branch with each before the next. */
export async function* recoverHeldBack(held: HeldBack, topN: number, r: Recovery): AsyncGenerator<GeneratedToken> {
  let rest = held.bytes;
  for (let i = 0; i < held.count; i++) {
    const following = held.count - 1 - i + held.after.length;
    const pick = (scores: NextTokenScores) => (following === 0 && r.endedOnEnd ? likeliest(scores, r.isEnd) : pickHeldToken(scores, rest, following, r.bytesOf));
    let scores = await r.scoresAt(topN);
    let token = pick(scores);
    // A sampled token can be outside the top N asked for: look at the whole vocabulary once (a
    // large answer, and rare: a flat distribution, as random weights give, samples far down it).
    if (token === undefined && scores.full === undefined) {
      scores = await r.scoresAt(Number.POSITIVE_INFINITY);
      token = pick(scores);
    }
    if (token === undefined) {
      throw new ServerCapabilityError(r.url, `llama-server at ${r.url} held back ${held.count} token(s) of a streamed answer (an incomplete UTF-8 character), and no token at that position spells the bytes it sent for them.`);
    }
    if (rest) rest = rest.subarray(r.bytesOf(token).length);
    yield { token, scores };
  }
}

function likeliest(scores: NextTokenScores, among: (id: number) => boolean): number | undefined {
  let best = -1;
  scores.ids.forEach((id, i) => {
    if (among(id) && (best < 0 || scores.logits[i]! > scores.logits[best]!)) best = i;
  });
  return best < 0 ? undefined : scores.ids[best];
}
