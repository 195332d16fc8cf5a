/**
 * Which llama-server slot serves which request. A slot keeps the KV cache of the last tokens it
 * evaluated, and `cache_prompt` makes the server evaluate only what a request adds to them, so a
 * request goes to the free slot whose tokens share the longest prefix with its own: a fork costs
 * the tokens that slot lacks, and a branch stepping on comes back to the slot it left.
 */

import { commonPrefixLength } from '../slots';

export class ServerSlots {
  /** What each slot holds, as far as this client knows (the server may have evicted it since). */
  private readonly held: (readonly number[])[];
  private readonly busy: boolean[];
  private readonly waiting: (() => void)[] = [];

  constructor(readonly count: number) {
    this.held = Array.from({ length: count }, () => []);
    this.busy = Array.from({ length: count }, () => false);
  }

  /**
   * Free slots for as many of the requests (indices `which` into `requests`) as there are free
   * slots, best prefix match first; waits while none is free. The rest must ask again once one of
   * these is released.
   */
  async acquire(requests: readonly (readonly number[])[], which: readonly number[]): Promise<Map<number, number>> {
    while (!this.busy.includes(false)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const taken = assignFree(requests, which, this.held, this.busy);
    for (const slot of taken.values()) this.busy[slot] = true;
    return taken;
  }

  /** The slot is free again and holds `tokens`. */
  release(slot: number, tokens: readonly number[]): void {
    this.held[slot] = tokens;
    this.busy[slot] = false;
    this.waiting.shift()?.();
  }

  /** Forgets what a slot holds (after an error the server's cache state is unknown). */
  forget(slot: number): void {
    this.release(slot, []);
  }

  /** Tokens the slot holds in common with `tokens` (what a request there need not evaluate). */
  shared(slot: number, tokens: readonly number[]): number {
    return commonPrefixLength(this.held[slot]!, tokens);
  }
}

/**
 * Pairs requests with free slots, longest shared prefix first (a greedy matching: the pairs are
 * taken in order of shared length, each request and slot once).
 */
export function assignFree(
  requests: readonly (readonly number[])[], which: readonly number[], held: readonly (readonly number[])[], busy: readonly boolean[],
): Map<number, number> {
  const pairs: { req: number; slot: number; shared: number }[] = [];
  for (const req of which) {
    for (let slot = 0; slot < held.length; slot++) {
      if (!busy[slot]) pairs.push({ req, slot, shared: commonPrefixLength(held[slot]!, requests[req]!) });
    }
  }
  pairs.sort((a, b) => b.shared - a.shared || a.req - b.req || a.slot - b.slot);
  const taken = new Map<number, number>();
  const used = new Set<number>();
  for (const p of pairs) {
    if (taken.has(p.req) || used.has(p.slot)) continue;
    taken.set(p.req, p.slot);
    used.add(p.slot);
  }
  return taken;
}
