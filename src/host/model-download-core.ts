/**
 * The editor's model downloads without the editor: what TokenTree: Download a Code Model… does once
 * a source is picked, and what Manage Models lists. model-downloads.ts adds the pickers, the
 * progress notification and the settings; this part runs under plain Node, in the tests too.
 */

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pullModel, PullError, type PullProgress } from '../models/pull';
import { readRecord, recordPath } from '../models/pull-names';

export type DownloadOutcome =
  | { readonly ok: true; readonly path: string; readonly bytes: number }
  | { readonly ok: false; readonly cancelled: boolean; readonly message: string };

export interface DownloadAndUseOptions {
  readonly dir: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: PullProgress) => void;
  /** The model in use, as the user knows it: named when a download changes nothing. */
  readonly inUse: string;
  /** Makes the downloaded file the model in use (the editor sets `tokentree.modelPath`). */
  readonly use: (path: string) => Promise<void>;
}

/**
 * Pulls `source` into `dir` and, only once the whole file is there and is a GGUF, hands it to
 * `use`. A cancelled or failed download calls nothing: the model in use stays, and the outcome's
 * message (one line, for a notification) says so.
 */
export async function downloadAndUse(source: string, options: DownloadAndUseOptions): Promise<DownloadOutcome> {
  let result: { path: string; bytes: number };
  try {
    result = await pullModel(source, { dir: options.dir, signal: options.signal, onProgress: options.onProgress });
  } catch (err) {
    const keeps = `TokenTree keeps using ${options.inUse}`;
    if (options.signal?.aborted) return { ok: false, cancelled: true, message: `download cancelled. ${keeps}; downloading it again resumes where it stopped if its server allows that.` };
    const reason = err instanceof PullError ? err.message : `the download of ${source} failed: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, cancelled: false, message: `${reason}. ${keeps}.` };
  }
  await options.use(result.path);
  return { ok: true, ...result };
}

export interface DownloadedModel {
  readonly path: string;
  readonly bytes: number;
  /** The hf: URI or URL it was downloaded from, where its source record says. */
  readonly source?: string;
}

/** The .gguf files in the models folder, with their sizes and sources; partial downloads are not listed. */
export async function downloadedModels(dir: string): Promise<DownloadedModel[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = names.filter((n) => n.endsWith('.gguf')).sort().map((n) => join(dir, n));
  return Promise.all(files.map(async (path) => ({ path, bytes: (await stat(path)).size, source: (await readRecord(path))?.source })));
}

/** Removes a downloaded model and its source record. */
export async function deleteDownloadedModel(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(recordPath(path), { force: true });
}
