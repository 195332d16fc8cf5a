/**
 * Downloading a model: node-llama-cpp's downloader (hf: URIs, split files, resuming from its
 * temporary file where the server allows byte ranges), or one plain stream from a server whose
 * ranges do not work; then a check that what arrived is a GGUF. Names come from the source and never
 * replace a file another download (or the user) put there (pull-names.ts).
 * Every failure a user can act on is a PullError with one line: exit 2 in the CLI.
 */

import { mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import { importNodeLlamaCpp } from '../model/llama-runtime';
import { chooseName, PARTIAL_SUFFIXES, recordPath, urlFileName, withSourceHash, writeRecord, type SourceRecord } from './pull-names';
import { rangesWork, remoteFile, StreamError, streamDownload, type RemoteFile } from './pull-stream';
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

type Downloader = Awaited<ReturnType<Awaited<ReturnType<typeof importNodeLlamaCpp>>['createModelDownloader']>>;

export async function pullModel(source: string, options: PullOptions): Promise<{ path: string; bytes: number }> {
  const uri = modelUri(source);
  const cancelled = () => new PullError(`the transfer of ${uri} was cancelled`);
  if (options.signal?.aborted) throw cancelled();
  // The downloader retries a server it cannot reach without end: ask once first.
  const head = /^https?:/.test(uri) ? await preflight(uri, options.signal) : undefined;
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
  const progress = (downloadedBytes: number, totalBytes: number) => {
    if (downloadedBytes > furthest) [furthest, furthestAt] = [downloadedBytes, Date.now()];
    options.onProgress?.({ downloadedBytes, totalBytes });
  };
  const create = (fileName: string | undefined) => createModelDownloader({
    modelUri: uri,
    dirPath: options.dir,
    fileName,
    skipExisting: true,
    // Keep the partial file of a cancelled or cut transfer: the next pull resumes from it.
    deleteTempFileOnCancel: false,
    onProgress: (s) => progress(s.downloadedSize, s.totalSize),
  });
  let path: string | undefined;
  let expected = 0;
  let streaming = false;
  const again = () => (streaming ? 'its server cannot resume, so pulling again starts over' : 'pull again to continue where it stopped');
  try {
    await mkdir(options.dir, { recursive: true });
    let downloader = await create(head ? urlFileName(uri, head.serverName) : undefined);
    const url = head ? uri : resolvedUrl(downloader);
    const remote: RemoteFile = head ?? (url ? await headOf(url, stop.signal) : {});
    expected = downloader.filesInfo[0]?.totalSize ?? downloader.totalSize;
    const record: SourceRecord = { source: uri, url, bytes: expected, etag: remote.etag, lastModified: remote.lastModified };
    const readable = downloader.entrypointFilename;
    const chosen = await chooseName(options.dir, readable, record);
    if (!chosen) throw new PullError(`${options.dir} already has files named ${readable} and ${withSourceHash(readable, uri)} (with a hash) that are not this download of ${uri}; move them and pull again`);
    if (chosen.name !== readable) downloader = await create(chosen.name);
    path = downloader.entrypointFilePath;
    if (chosen.claim === 'done') return { path, bytes: expected };
    await ensureSpace(options.dir, downloader.totalSize - downloader.downloadedSize, uri);
    await writeRecord(path, record);
    const single = downloader.totalFiles === 1 && !downloader.splitBinaryParts;
    const ranged = !url || !single || (await rangesWork(url, expected, stop.signal));
    const viaRanges = ranged && (await rangedDownload(downloader, stop));
    if (!viaRanges) {
      if (!url || !single) throw new PullError(`the server of ${uri} does not answer byte ranges as it says it does, and a model in several files needs them`);
      // The name was claimed for this download: whatever the ranged attempt left under it goes.
      await Promise.all([path, path + '.ipull'].map((p) => rm(p, { force: true })));
      streaming = true;
      await streamDownload(url, path, expected || undefined, { signal: stop.signal, onProgress: progress });
    }
    // The downloader returns its file's path when it is stopped too.
    if (stop.signal.aborted) throw new Error('stopped');
  } catch (err) {
    if (path) await dropIncomplete(path, expected, !streaming);
    if (options.signal?.aborted) throw cancelled();
    if (err instanceof PullError) throw err;
    if (stalled) throw new PullError(`the transfer of ${uri} was interrupted and could not be resumed (no progress for ${Math.round(stallMs / 1000)} s); ${again()}`);
    if (err instanceof StreamError && err.status === undefined) throw new PullError(err.message);
    throw explainPullFailure(uri, err, again());
  } finally {
    clearInterval(watchdog);
    options.signal?.removeEventListener('abort', forward);
  }
  const bytes = (await stat(path)).size;
  if (expected && bytes !== expected) {
    await dropIncomplete(path, expected, false);
    throw new PullError(`the server sent ${bytes} bytes of ${uri} where it announced ${expected}; it was not kept`);
  }
  await checkGguf(path, uri);
  return { path, bytes };
}

/** The URL an hf: URI resolved to: node-llama-cpp keeps it, though not in its public types. */
function resolvedUrl(downloader: Downloader): string | undefined {
  const url = (downloader as unknown as { _modelUrl?: unknown })._modelUrl;
  return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined;
}

async function headOf(url: string, signal: AbortSignal): Promise<RemoteFile> {
  return fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]) }).then(remoteFile, () => ({}));
}

/**
 * node-llama-cpp's download; false when the server turned out to ignore byte ranges part-way (its
 * downloader then stops, and the caller fetches the file as one stream).
 */
async function rangedDownload(downloader: Downloader, stop: AbortController): Promise<boolean> {
  const result = await withDownloaderGuard(stop, () => downloader.download({ signal: stop.signal }));
  if (result === 'ranges ignored') await downloader.cancel({ deleteTempFile: true });
  return result !== 'ranges ignored';
}

/**
 * What a failed transfer leaves. node-llama-cpp's downloader renames its partial file to the final
 * name when it stops: that must not pass for a model, so it goes back to the partial name, where
 * the next pull of the same source resumes from it (`resumable`), or goes. The source record stays
 * while a partial file remains.
 */
async function dropIncomplete(path: string, totalBytes: number, resumable: boolean): Promise<void> {
  const size = await stat(path).then((s) => s.size, () => undefined);
  if (size !== undefined && size !== totalBytes) await (resumable ? rename(path, path + '.ipull') : rm(path, { force: true }));
  const left = await Promise.all([path, ...PARTIAL_SUFFIXES.map((s) => path + s)].map((p) => stat(p).then(() => true, () => false)));
  if (!left.includes(true)) await rm(recordPath(path), { force: true });
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
 * Two of the downloader's failures reject promises nobody awaits, which would end the CLI with a
 * stack trace: its file writer's when the disk fills up during the transfer (something else took
 * the space), and its range check's when a server answers a range with the whole file or another
 * length. While the download runs, the first ends the download with the disk's error and the second
 * with 'ranges ignored'; any other stays unhandled, as before.
 */
async function withDownloaderGuard<T>(stop: AbortController, run: () => Promise<T>): Promise<T | 'ranges ignored'> {
  let full: unknown;
  let rangesIgnored = false;
  let wake = () => {};
  const woken = new Promise<'ranges ignored'>((resolve) => (wake = () => resolve('ranges ignored')));
  const onUnhandled = (reason: unknown) => {
    if ((reason as NodeJS.ErrnoException)?.code === 'ENOSPC') {
      full = reason;
      stop.abort();
    } else if (isRangeFailure(reason)) {
      rangesIgnored = true;
      wake();
    } else {
      setImmediate(() => {
        throw reason;
      });
    }
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const running = run();
    // Left behind when the ranges fail: the caller cancels it, and how it then ends does not matter.
    running.catch(() => {});
    const result = await Promise.race([running, woken]).catch((err: unknown) => {
      if (full) throw full;
      if (!isRangeFailure(err)) throw err;
      rangesIgnored = true;
      return 'ranges ignored' as const;
    });
    if (full) throw full;
    return rangesIgnored ? 'ranges ignored' : result;
  } finally {
    // Give the cancelled downloader's other ranges time to fail here rather than unhandled.
    if (rangesIgnored) setTimeout(() => process.off('unhandledRejection', onUnhandled), 10_000).unref();
    else process.off('unhandledRejection', onUnhandled);
  }
}

/** ipull's InvalidContentLengthError (its class is not exported where a CommonJS bundle reaches it). */
function isRangeFailure(reason: unknown): boolean {
  const e = reason as Error | undefined;
  return e?.constructor?.name === 'InvalidContentLengthError' || /^Expected \d+ bytes, but got \S+ bytes/.test(String(e?.message ?? ''));
}

async function preflight(url: string, signal?: AbortSignal): Promise<RemoteFile> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000) });
  } catch (err) {
    if (signal?.aborted) throw new PullError(`the transfer of ${url} was cancelled`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new PullError(`${new URL(url).origin} cannot be reached (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (response.status === 404) throw new PullError(`the server answered 404 for ${url}: no such model file`);
  return remoteFile(response);
}

/** The one line a person needs for a failed transfer. */
export function explainPullFailure(uri: string, err: unknown, again = 'pull again to continue where it stopped'): Error {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; status?: number };
  const text = `${e?.message ?? String(err)} ${String((e as { cause?: unknown })?.cause ?? '')}`;
  if (e?.code === 'ENOSPC' || /ENOSPC|no space left/i.test(text)) return new PullError(`the disk is full: ${uri} did not fit; free some space and pull again`);
  const status = e?.statusCode ?? e?.status ?? Number(/\b(4\d\d|5\d\d)\b/.exec(text)?.[1] ?? NaN);
  if (status === 404) return new PullError(`the server answered 404 for ${uri}: no such model file`);
  if (status === 401 || status === 403) return new PullError(`the server refused ${uri} (${status}): the model may need a Hugging Face token or a license to be accepted`);
  if (Number.isFinite(status)) return new PullError(`the server answered ${status} for ${uri}`);
  return new PullError(`the transfer of ${uri} was interrupted and could not be resumed (${e?.message ?? String(err)}); ${again}`);
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
  await rm(recordPath(path), { force: true });
  const shown = JSON.stringify(head.toString('latin1').replace(/[^\x20-\x7e]/g, '.').trim().slice(0, 15));
  throw new PullError(`${uri} is not a GGUF model file (it starts with ${shown}, an HTML page or an error?); it was not kept`);
}
