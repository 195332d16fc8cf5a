import type { LanguageModel } from '../decoding/language-model';

/**
 * How well a prompt conditions the model on what really follows the cursor: the log-likelihood
 * of the true text, fed token by token after the prompt (teacher forcing). It compares prompt
 * layouts without the noise of a decoding strategy: a layout that hides useful context, or
 * tokenizes it oddly, makes the true text less likely.
 */
export async function targetLogLikelihood(model: LanguageModel, prompt: readonly number[], target: readonly number[], signal?: AbortSignal): Promise<number> {
  if (target.length === 0) return 0;
  const state = await model.start(prompt, Infinity, signal);
  try {
    let sum = 0;
    let next = state.next;
    for (let i = 0; ; i++) {
      sum += logProb(next, target[i]!);
      if (i === target.length - 1) return sum;
      [next] = await model.evaluate([{ branch: state.branch, tokens: [target[i]!], topN: Infinity }], signal);
    }
  } finally {
    model.release(state.branch);
  }
}

/** log p(token) from scores that hold it: the listed top tokens, or the full vocabulary. */
function logProb(scores: { ids: Int32Array; logits: Float32Array; logNormalizer: number; full?: Float32Array }, token: number): number {
  if (scores.full !== undefined) return scores.full[token]! - scores.logNormalizer;
  const at = scores.ids.indexOf(token);
  if (at < 0) throw new RangeError(`token ${token} is not among the ${scores.ids.length} scores given`);
  return scores.logits[at]! - scores.logNormalizer;
}
