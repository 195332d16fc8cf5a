/**
 * What to do after the model process dies: restart it after a backoff that doubles with each
 * recent crash, and stop loading a file that killed it (while loading, or repeatedly while
 * running) until the user chooses that file again.
 */

export interface ProcessCrash {
  readonly reason: string;
  /** The model file loaded or loading at the time, if any. */
  readonly path: string | undefined;
  readonly whileLoading: boolean;
}

export const FIRST_RESTART_DELAY_MS = 1000;
export const MAX_RESTART_DELAY_MS = 30_000;
/** Crashes this close together count toward the backoff and toward blaming the file. */
export const CRASH_WINDOW_MS = 5 * 60_000;
/** Crashes within the window, while running one file, after which that file is blamed. */
export const CRASHES_TO_BLAME = 3;

export class CrashPolicy {
  private recent: { at: number; path: string | undefined }[] = [];
  private readonly blamed = new Map<string, string>();
  private restartAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a crash; returns how long to wait before restarting, and whether its file is now refused. */
  record(crash: ProcessCrash): { delayMs: number; refused: boolean } {
    const at = this.now();
    this.recent = this.recent.filter((c) => at - c.at < CRASH_WINDOW_MS);
    this.recent.push({ at, path: crash.path });
    const delayMs = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (this.recent.length - 1));
    this.restartAt = at + delayMs;
    const sameFile = this.recent.filter((c) => c.path === crash.path).length;
    const refused = crash.path !== undefined && (crash.whileLoading || sameFile >= CRASHES_TO_BLAME);
    if (refused) this.blamed.set(crash.path!, crash.reason);
    return { delayMs, refused };
  }

  /** Milliseconds until the process may start again (0: now). */
  waitMs(): number {
    return Math.max(0, this.restartAt - this.now());
  }

  /** Why `path` is not loaded, for a person; undefined when it may be. */
  refusal(path: string): string | undefined {
    const reason = this.blamed.get(path);
    if (reason === undefined) return undefined;
    return `TokenTree does not load ${path} again: it stopped the model process (${reason}). Choose it again (TokenTree: Select Model File, or the tokentree.modelPath setting) to retry.`;
  }

  /** The user chose `path` again, or another file: let it be tried, now (the user asked for it). */
  forgive(path?: string): void {
    if (path === undefined) this.blamed.clear();
    else this.blamed.delete(path);
    this.restartAt = 0;
  }
}
