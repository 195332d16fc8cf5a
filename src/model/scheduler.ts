/**
 * Requests take turns on the model: each may need every branch the model has (a beam of eight
 * holds sixteen), so running two at once would make one of them fail for want of branches.
 * Foreground requests (what the user waits for) run in arrival order; background work runs only
 * when no foreground request waits, and a foreground arrival cancels the background work that
 * runs, which then lets go of the model at its next check.
 */

import { AbortError } from '../decoding/language-model';

export type Priority = 'foreground' | 'background';

interface Waiting {
  readonly priority: Priority;
  readonly start: () => void;
  readonly reject: (e: unknown) => void;
  readonly signal?: AbortSignal;
}

export class RequestScheduler {
  private readonly waiting: Waiting[] = [];
  private running: { priority: Priority; preempt: AbortController } | undefined;

  /** Requests waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Runs `work` when its turn comes. Its signal aborts when the caller's does and, for
   * background work, when a foreground request arrives. A request whose caller cancels while it
   * waits leaves the queue with an AbortError.
   */
  run<T>(priority: Priority, signal: AbortSignal | undefined, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortError());
    if (priority === 'foreground' && this.running?.priority === 'background') {
      this.running.preempt.abort(new AbortError('Background work gave way to a foreground request'));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting = {
        priority,
        signal,
        reject,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          const preempt = new AbortController();
          const unlink = link(signal, preempt);
          this.running = { priority, preempt };
          work(preempt.signal).then(resolve, reject).finally(() => {
            unlink();
            this.running = undefined;
            this.next();
          });
        },
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(entry);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(new AbortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Foreground requests queue ahead of every waiting background one.
      const at = priority === 'foreground' ? this.waiting.findIndex((w) => w.priority === 'background') : -1;
      if (at >= 0) this.waiting.splice(at, 0, entry);
      else this.waiting.push(entry);
      if (!this.running) this.next();
    });
  }

  /** Rejects every waiting request and cancels the running one (the model is going away). */
  cancelAll(reason: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(reason);
    this.running?.preempt.abort(reason);
  }

  private next(): void {
    this.waiting.shift()?.start();
  }
}

function link(from: AbortSignal | undefined, to: AbortController): () => void {
  if (!from) return () => undefined;
  if (from.aborted) {
    to.abort(from.reason);
    return () => undefined;
  }
  const forward = () => to.abort(from.reason);
  from.addEventListener('abort', forward, { once: true });
  return () => from.removeEventListener('abort', forward);
}
