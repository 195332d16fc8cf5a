/**
 * At most as many prompts in flight as the server has slots; requests beyond wait here, in order.
 * The server would queue them too, but then their time limit would run while they wait for a slot.
 * A request with a list of prompts (a search step) weighs as many slots as it has prompts.
 *
 * Which slot serves a prompt is the server's choice (llama-server's LCP similarity: the idle slot
 * whose cache shares the most with the prompt), made on what the slots really hold; a shared
 * server's other clients use the same slots, so a record kept here would go stale.
 */
export class RequestLimit {
  private running = 0;
  private readonly waiting: { readonly weight: number; readonly start: () => void }[] = [];

  constructor(readonly limit: number) {}

  /** Waits for `weight` slots (at most the limit); call the returned function when the request is done. */
  async acquire(weight = 1): Promise<() => void> {
    const w = Math.max(1, Math.min(weight, this.limit));
    if (this.waiting.length > 0 || this.running + w > this.limit) await new Promise<void>((start) => this.waiting.push({ weight: w, start }));
    else this.running += w;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= w;
      // First come, first served: the head waits until its weight fits.
      while (this.waiting.length > 0 && this.running + this.waiting[0]!.weight <= this.limit) {
        const next = this.waiting.shift()!;
        this.running += next.weight;
        next.start();
      }
    };
  }

  /** Slots taken by requests in flight. */
  get inFlight(): number {
    return this.running;
  }
}
