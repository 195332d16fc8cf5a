/**
 * One generation in flight: each new request aborts the previous one, and waits out a
 * debounce first so that fast typing asks the model only once it pauses.
 */
export class RequestGate {
  private current?: AbortController;

  constructor(
    private readonly debounceMs: () => number,
    private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void> = abortableSleep,
  ) {}

  /**
   * Starts a request: cancels the one in flight, links the editor's own cancellation, and
   * debounces. Resolves to the request's signal, or undefined if it was superseded or
   * cancelled while waiting.
   */
  async begin(onCancel?: (listener: () => void) => void): Promise<AbortSignal | undefined> {
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    onCancel?.(() => controller.abort());
    const wait = this.debounceMs();
    if (wait > 0) {
      try {
        await this.sleep(wait, controller.signal);
      } catch {
        return undefined;
      }
    }
    return controller.signal.aborted ? undefined : controller.signal;
  }

  cancel(): void {
    this.current?.abort();
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
