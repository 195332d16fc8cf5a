/**
 * Prompt-lookup drafting (Saxena's prompt lookup decoding; Hugging Face's
 * `prompt_lookup_num_tokens`; llama.cpp's lookup decoding): code repeats what is around it (the
 * suffix after the cursor, the line above, a name from a context chunk), so the tokens that
 * followed the latest earlier occurrence of the last few tokens are a good guess of what comes
 * next. A backend decodes that guess in the same batch as the token before it and keeps the
 * drafted tokens only while each one is the model's own greedy pick: the result is the same tokens
 * as without drafting, in fewer sequential decodes.
 */

export interface LookupOptions {
  /** Most drafted tokens. */
  readonly maxDraft: number;
  /** Longest n-gram matched; the longest that occurs wins. */
  readonly maxNgram?: number;
  /**
   * Shortest n-gram matched. Below 2 a single common token (a space, a bracket) would draft from
   * wherever it last occurred, which is rarely what follows.
   */
  readonly minNgram?: number;
}

/**
 * The tokens that followed the latest earlier occurrence of the last n tokens of `history`
 * (n from maxNgram down to minNgram), at most `maxDraft` of them; empty where nothing matches.
 * O(history · n): a few hundred microseconds for a 32k-token context.
 */
export function lookupDraft(history: readonly number[], { maxDraft, maxNgram = 3, minNgram = 2 }: LookupOptions): number[] {
  const length = history.length;
  if (maxDraft < 1) return [];
  for (let n = Math.min(maxNgram, length - 1); n >= Math.max(1, minNgram); n--) {
    const tail = length - n;
    // Latest first; an occurrence must leave at least one token after it.
    for (let start = tail - 1; start >= 0; start--) {
      let k = 0;
      while (k < n && history[start + k] === history[tail + k]) k++;
      if (k === n) return history.slice(start + n, Math.min(start + n + maxDraft, length));
    }
  }
  return [];
}
