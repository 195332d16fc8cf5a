/**
 * Downloading a model: node-llama-cpp's downloader (hf: URIs, split files, resuming from its
 * temporary file where the server allows byte ranges), then a check that what arrived is a GGUF.
 * Every failure a user can act on is a PullError with one line: exit 2 in the CLI.
 */

import { mkdir, open, rm, stat, statfs } from 'node:fs/promises';
import { importNodeLlamaCpp } from '../model/llama-runtime';
import { findPreset } from './presets';

export class PullError extends Error {
  override readonly name = 'PullError';
}

export interface PullProgress {
  readonly downloadedBytes: number;
  readonly totalBytes: number;
}

export interface PullOptions {
  readonly dir: string;
  readonly onProgress?: (p: PullProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * A transfer that gets no further than it got for this long counts as interrupted for good
   * (the downloader itself retries a cut connection without end). Default 60 s.
   */
  readonly stallMs?: number;
}

/** A preset's id, an `hf:` URI or an http(s) URL, as the URI node-llama-cpp downloads. */
export function modelUri(source: string): string {
  const preset = findPreset(source);
  if (preset) return preset.uri;
  if (/^hf:[^/\s]+\/[^\s]+$/.test(source) || /^https?:\/\/\S+$/.test(source)) return source;
  throw new PullError(`${JSON.stringify(source.slice(0, 80))} is not a preset (tokentree models lists them), an hf: URI or an http(s) URL`);
}

export async function pullModel(source: string, options: PullOptions): Promise<{ path: string; bytes: number }> {
  const uri = modelUri(source);
  if (options.signal?.aborted) throw new PullError(`the transfer of ${uri} was cancelled`);
  // The downloader retries a server it cannot reach without end: ask once first.
  if (/^https?:/.test(uri)) await preflight(uri, options.signal);
  const { createModelDownloader } = await importNodeLlamaCpp();
  const stop = new AbortController();
  const forward = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forward, { once: true });
  // The furthest the transfer got, and when; a watchdog ends a transfer that stops getting further.
  let furthest = -1;
  let furthestAt = Date.now();
  let stalled = false;
  const stallMs = options.stallMs ?? 60_000;
  const watchdog = setInterval(() => {
    if (Date.now() - furthestAt > stallMs) {
      stalled = true;
      stop.abort();
    }
  }, Math.min(1000, stallMs / 4));
  let path: string;
  let downloader: Awaited<ReturnType<typeof createModelDownloader>> | undefined;
  try {
    await mkdir(options.dir, { recursive: true });
    downloader = await createModelDownloader({
      modelUri: uri,
      dirPath: options.dir,
      skipExisting: true,
      // Keep the partial file of a cancelled or cut transfer: the next pull resumes from it.
      deleteTempFileOnCancel: false,
      onProgress: (s) => {
        if (s.downloadedSize > furthest) [furthest, furthestAt] = [s.downloadedSize, Date.now()];
        options.onProgress?.({ downloadedBytes: s.downloadedSize, totalBytes: s.totalSize });
      },
    });
    await ensureSpace(options.dir, downloader.totalSize - downloader.downloadedSize, uri);
    const started = downloader;
    path = await withDiskFullGuard(stop, () => started.download({ signal: stop.signal }));
  } catch (err) {
    if (downloader) await removeIncomplete(downloader.entrypointFilePath, downloader.totalSize);
    if (options.signal?.aborted || err instanceof PullError) throw err;
    if (stalled) throw new PullError(`the transfer of ${uri} was interrupted and could not be resumed (no progress for ${Math.round(stallMs / 1000)} s); pull again to continue where it stopped`);
    throw explainPullFailure(uri, err);
  } finally {
    clearInterval(watchdog);
    options.signal?.removeEventListener('abort', forward);
  }
  if (stalled) throw new PullError(`the transfer of ${uri} was interrupted and could not be resumed (no progress for ${Math.round(stallMs / 1000)} s)`);
  await checkGguf(path, uri);
  return { path, bytes: (await stat(path)).size };
}

/**
 * After a failed transfer the downloader can leave a short file under the model's final name (it
 * renames its partial file on the way out): that must not pass for a downloaded model.
 */
async function removeIncomplete(path: string, totalBytes: number): Promise<void> {
  const size = await stat(path).then((s) => s.size, () => undefined);
  if (size !== undefined && size !== totalBytes) await rm(path, { force: true });
}

/** Refuses a download the disk has no room for, before any of it is written. */
async function ensureSpace(dir: string, bytes: number, uri: string): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (bytes > free) {
    throw new PullError(`the disk is full: ${uri} needs ${(bytes / 1e6).toFixed(0)} MB more and ${dir} has ${(free / 1e6).toFixed(0)} MB free; free some space and pull again`);
  }
}

/**
 * The downloader's file writer rejects a promise nobody awaits when the disk fills up during the
 * transfer (something else took the space): that would end the CLI with a stack trace. While the
 * download runs, such a rejection ends the download instead; any other stays unhandled, as before.
 */
async function withDiskFullGuard<T>(stop: AbortController, run: () => Promise<T>): Promise<T> {
  let full: unknown;
  const onUnhandled = (reason: unknown) => {
    if ((reason as NodeJS.ErrnoException)?.code === 'ENOSPC') {
      full = reason;
      stop.abort();
    } else {
      setImmediate(() => {
        throw reason;
      });
    }
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const result = await run().catch((err: unknown) => {
      throw full ?? err;
    });
    if (full) throw full;
    return result;
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

async function preflight(url: string, signal?: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000) });
  } catch (err) {
    if (signal?.aborted) throw new PullError(`the transfer of ${url} was cancelled`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new PullError(`${new URL(url).origin} cannot be reached (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (response.status === 404) throw new PullError(`the server answered 404 for ${url}: no such model file`);
}

/** The one line a person needs for a failed transfer. */
export function explainPullFailure(uri: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; status?: number };
  const text = `${e?.message ?? String(err)} ${String((e as { cause?: unknown })?.cause ?? '')}`;
  if (e?.code === 'ENOSPC' || /ENOSPC|no space left/i.test(text)) return new PullError(`the disk is full: ${uri} did not fit; free some space and pull again`);
  const status = e?.statusCode ?? e?.status ?? Number(/\b(4\d\d|5\d\d)\b/.exec(text)?.[1] ?? NaN);
  if (status === 404) return new PullError(`the server answered 404 for ${uri}: no such model file`);
  if (status === 401 || status === 403) return new PullError(`the server refused ${uri} (${status}): the model may need a Hugging Face token or a license to be accepted`);
  if (Number.isFinite(status)) return new PullError(`the server answered ${status} for ${uri}`);
  return new PullError(`the transfer of ${uri} was interrupted and could not be resumed (${e?.message ?? String(err)}); pull again to continue where it stopped`);
}

async function checkGguf(path: string, uri: string): Promise<void> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(16);
  try {
    await handle.read(head, 0, 16, 0);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return;
  await rm(path, { force: true });
  const shown = JSON.stringify(head.toString('latin1').replace(/[^\x20-\x7e]/g, '.').trim().slice(0, 15));
  throw new PullError(`${uri} is not a GGUF model file (it starts with ${shown}, an HTML page or an error?); it was not kept`);
}
