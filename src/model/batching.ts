/**
 * The batch planner handed to node-llama-cpp (its public `batching.itemPrioritizationStrategy`
 * option). node-llama-cpp calls it once per llama_decode with every queued sequence evaluation,
 * which makes it the place to count batches and to see that a step's branches shared one.
 */

import type { BatchItem, PrioritizedBatchItem } from 'node-llama-cpp';

export interface BatchCounters {
  /** llama_decode calls. */
  batches: number;
  /** Sequences in the most recent batch, and the most seen in one batch. */
  lastBatchSequences: number;
  maxBatchSequences: number;
}

export function createBatchPlanner(): { counters: BatchCounters; plan: (input: { items: readonly BatchItem[]; size: number }) => PrioritizedBatchItem[] } {
  const counters: BatchCounters = { batches: 0, lastBatchSequences: 0, maxBatchSequences: 0 };
  const plan = ({ items, size }: { items: readonly BatchItem[]; size: number }): PrioritizedBatchItem[] => {
    // Fair share first so that one long prompt cannot starve the branches' single tokens,
    // then what is left goes to the remaining items in queue order.
    let left = size;
    const share = Math.max(1, Math.floor(size / Math.max(1, items.length)));
    const planned = items.map((item) => {
      const processAmount = Math.min(item.tokens.length, share, left);
      left -= processAmount;
      return { item, processAmount };
    });
    for (const p of planned) {
      if (left === 0) break;
      const more = Math.min(p.item.tokens.length - p.processAmount, left);
      p.processAmount += more;
      left -= more;
    }
    const used = planned.filter((p) => p.processAmount > 0);
    counters.batches++;
    counters.lastBatchSequences = used.length;
    counters.maxBatchSequences = Math.max(counters.maxBatchSequences, used.length);
    return used;
  };
  return { counters, plan };
}
