/**
 * At most as many requests in flight as the server has slots; the rest wait here, in order. The
 * server would queue them too, but then their time limit would run while they wait for a slot.
 *
 * Which slot serves a request is the server's choice (llama-server's LCP similarity: the idle slot
 * whose cache shares the most with the prompt), made on what the slots really hold; a shared
 * server's other clients use the same slots, so a record kept here would go stale.
 */
export class RequestLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Waits for a turn; call the returned function when the request is done. */
  async acquire(): Promise<() => void> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  get inFlight(): number {
    return this.running;
  }
}
