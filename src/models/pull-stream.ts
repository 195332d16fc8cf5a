/**
 * What a download needs to ask the server itself: what the file is (HEAD), whether byte ranges
 * really work, and a plain single-stream transfer for servers where they do not. RFC 9110 lets a
 * server that advertises `Accept-Ranges: bytes` answer a ranged request with the whole file (200);
 * node-llama-cpp's downloader fetches in ranges and fails on that, so such a server gets one stream.
 */

import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** What a HEAD request says about a file; every field may be missing (a server that refuses HEAD). */
export interface RemoteFile {
  readonly bytes?: number;
  readonly etag?: string;
  readonly lastModified?: string;
  /** Content-Disposition's file name, as the server sent it (not safe as a path). */
  readonly serverName?: string;
}

export function remoteFile(response: Response): RemoteFile {
  const length = Number(response.headers.get('content-length') ?? NaN);
  return {
    bytes: response.ok && Number.isSafeInteger(length) && !response.headers.get('content-encoding') ? length : undefined,
    etag: response.headers.get('etag') ?? undefined,
    lastModified: response.headers.get('last-modified') ?? undefined,
    serverName: dispositionName(response.headers.get('content-disposition')),
  };
}

/** `filename*=UTF-8''…` first (RFC 6266), then `filename="…"` or a bare token. */
export function dispositionName(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*[\w-]+'[^']*'([^;]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]!.trim());
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  return name || undefined;
}

/**
 * Asks for one byte in the file's middle: a server whose ranges work answers 206 with that byte's
 * Content-Range for a file of the expected size; 200 (the whole file) or another range means no.
 * Any other answer (a token the hub wants, say) is left to node-llama-cpp's downloader to handle.
 */
export async function rangesWork(url: string, bytes: number, signal?: AbortSignal): Promise<boolean> {
  if (bytes < 2) return true;
  const at = Math.floor(bytes / 2);
  const response = await fetch(url, { headers: { range: `bytes=${at}-${at}`, 'accept-encoding': 'identity' }, signal, redirect: 'follow' });
  await response.body?.cancel().catch(() => {});
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  if (response.status !== 206) return response.status !== 200;
  return range !== null && Number(range[1]) === at && Number(range[2]) === at && (range[3] === '*' || Number(range[3]) === bytes);
}

export class StreamError extends Error {
  override readonly name = 'StreamError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/**
 * Fetches the whole file as one stream into `path`.partial and renames it to `path` once it has
 * all `bytes` (when known). The partial file is removed on any failure or cancellation: a server
 * without working ranges cannot continue it.
 */
export async function streamDownload(url: string, path: string, bytes: number | undefined, options: { signal: AbortSignal; onProgress: (done: number, total: number) => void }): Promise<number> {
  const partial = path + '.partial';
  try {
    const response = await fetch(url, { signal: options.signal, redirect: 'follow', headers: { 'accept-encoding': 'identity' } });
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new StreamError(`the server answered ${response.status} for ${url}`, response.status);
    }
    const announced = remoteFile(response).bytes;
    const total = bytes ?? announced ?? 0;
    if (bytes !== undefined && announced !== undefined && announced !== bytes) {
      await response.body.cancel().catch(() => {});
      throw new StreamError(`${url} changed while it was being downloaded (${announced} bytes now, ${bytes} before); pull again`);
    }
    let done = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, next) {
        done += chunk.length;
        options.onProgress(done, total);
        next(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), count, createWriteStream(partial), { signal: options.signal });
    if (total && done !== total) throw new StreamError(`the server sent ${done} of the ${total} bytes of ${url}`);
    // The name was free when the download began; something else may have taken it since.
    if (await stat(path).then(() => true, () => false)) throw new StreamError(`${path} appeared while ${url} was being downloaded; it was left as it is`);
    await rename(partial, path);
    return done;
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}
