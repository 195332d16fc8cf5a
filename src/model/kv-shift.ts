/**
 * Reusing a cached prompt whose head went stale: when the new prompt continues, after a shared
 * start, with tokens the cache holds further on, the stretch in between is erased and what follows
 * moves back (llama.cpp's sequence shift, node-llama-cpp's eraseContextTokenRanges). llama.cpp's
 * server does the same with --cache-reuse. The kept tokens' KV was computed while they could still
 * attend to the erased stretch, so the result is close to a fresh evaluation, not equal to it;
 * docs/benchmarks.md has the measured distance.
 */

/**
 * Architectures whose KV cache llama.cpp can shift as a plain attention cache with rotary
 * positions. Elsewhere a shift either aborts the process (multi-position RoPE, some hybrids),
 * re-evaluates everything (recurrent state) or is wrong (learned absolute positions, e.g.
 * StarCoder 1), so those keep to exact prefix reuse.
 */
const SHIFTABLE = new Set(['llama', 'qwen2', 'qwen3', 'qwen2moe', 'qwen3moe', 'starcoder2', 'granite', 'gemma', 'deepseek']);

export function canShiftKv(architecture: string): boolean {
  return SHIFTABLE.has(architecture);
}

/** Fewest tokens a shift must save: below this, evaluating them exactly is cheap enough. */
export const MIN_SHIFT_RUN = 32;

/**
 * Where the prompt continues in the cache after `keep` shared tokens: the first position past
 * `keep` from which the cache matches the prompt for at least `minRun` tokens.
 */
export function findHeadDrop(
  cached: readonly number[], prompt: readonly number[], keep: number, minRun = MIN_SHIFT_RUN,
): { end: number; run: number } | undefined {
  if (prompt.length - keep < minRun || cached.length - keep <= minRun) return undefined;
  const want = prompt[keep];
  for (let end = keep + 1; end + minRun <= cached.length; end++) {
    if (cached[end] !== want) continue;
    let run = 1;
    while (end + run < cached.length && keep + run < prompt.length && cached[end + run] === prompt[keep + run]) run++;
    if (run >= minRun) return { end, run };
  }
  return undefined;
}
