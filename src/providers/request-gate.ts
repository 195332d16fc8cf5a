/**
 * One piece of work on the model at a time. A foreground request (a keystroke) cancels whatever
 * runs, waits out a debounce so that fast typing asks the model only once it pauses, and then
 * waits until the cancelled work has let go of the model. Background work (the suggestion that
 * follows an accepted one, warming the cache) runs only while nothing else does, and the next
 * keystroke cancels it, unless that keystroke asks for exactly what it is computing: then the
 * keystroke waits for it instead.
 *
 * A little before a debounce ends the gate calls `soon`: the editor wakes the model process
 * then, since a process that has slept since the last keystroke takes longer to be scheduled
 * than one woken a few milliseconds earlier (docs/benchmarks.md, bench:process).
 */

export interface Ticket {
  readonly signal: AbortSignal;
  /** Frees the model for the next piece of work; call once the work has settled. */
  end(): void;
}

export interface GateOptions {
  /** Called once per foreground request, `soonMs` before its debounce ends (at once for a shorter debounce). */
  readonly soon?: () => void;
  readonly soonMs?: number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** How long before a debounce ends `soon` is called: long enough for a sleeping process to be scheduled, short enough that it has not gone back to deep sleep. */
export const SOON_MS = 10;

interface Running {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  /** Set for background work: what it computes. */
  readonly key?: string;
}

export class RequestGate {
  private running?: Running;
  /** The newest foreground request, from its keystroke until it runs or is superseded. */
  private waiting?: AbortController;

  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(
    private readonly debounceMs: () => number,
    private readonly options: GateOptions = {},
  ) {
    this.sleep = options.sleep ?? abortableSleep;
  }

  /**
   * Starts a foreground request: supersedes the one waiting, cancels the one running (unless it
   * is background work under `adopt`), links the editor's own cancellation, debounces, and
   * resolves once the model is free. Undefined if the request was superseded or cancelled first.
   */
  async begin(onCancel?: (listener: () => void) => void, adopt?: string): Promise<Ticket | undefined> {
    this.waiting?.abort();
    const controller = new AbortController();
    this.waiting = controller;
    onCancel?.(() => controller.abort());
    const adopting = adopt !== undefined && this.running?.key === adopt;
    if (!adopting) this.running?.controller.abort();
    const wait = adopting ? 0 : this.debounceMs();
    if (wait > 0) {
      try {
        await this.debounce(wait, controller.signal);
      } catch {
        return undefined;
      }
    }
    while (this.running !== undefined && !controller.signal.aborted) await this.running.done;
    if (controller.signal.aborted) return undefined;
    if (this.waiting === controller) this.waiting = undefined;
    return this.occupy(controller).ticket;
  }

  /**
   * Runs background work under `key` if the model is free and no keystroke waits for it;
   * returns its completion (never rejects), or undefined when it did not start.
   */
  background(key: string, work: (signal: AbortSignal) => Promise<void>): Promise<void> | undefined {
    if (this.running !== undefined || this.waiting !== undefined) return undefined;
    const { ticket } = this.occupy(new AbortController(), key);
    return work(ticket.signal).catch(() => undefined).finally(() => ticket.end());
  }

  /** Whether background work under `key` is running. */
  isRunning(key: string): boolean {
    return this.running?.key === key;
  }

  /** Whether nothing runs or waits. */
  get idle(): boolean {
    return this.running === undefined && this.waiting === undefined;
  }

  /** Settles once nothing runs (after cancelAll(), once the cancelled work has let go of the model). */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running.done;
  }

  /** Cancels everything, waiting or running (the editor is going away). */
  cancelAll(): void {
    this.waiting?.abort();
    this.running?.controller.abort();
  }

  /** Sleeps `wait` ms, calling `soon` on the way (not for a request superseded before then). */
  private async debounce(wait: number, signal: AbortSignal): Promise<void> {
    const { soon } = this.options;
    if (!soon) return this.sleep(wait, signal);
    const lead = Math.min(wait, this.options.soonMs ?? SOON_MS);
    if (wait > lead) await this.sleep(wait - lead, signal);
    try {
      soon();
    } catch {
      // Only a head start: the request itself reports what is wrong.
    }
    await this.sleep(lead, signal);
  }

  private occupy(controller: AbortController, key?: string): { ticket: Ticket } {
    let release!: () => void;
    const running: Running = { controller, done: new Promise<void>((resolve) => (release = resolve)), key };
    this.running = running;
    const end = () => {
      if (this.running === running) this.running = undefined;
      release();
    };
    return { ticket: { signal: controller.signal, end } };
  }
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
