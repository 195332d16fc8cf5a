/**
 * Where a download goes. Each model file gets a sidecar record of where it came from; a name is
 * used only when nothing is there yet, or when what is there was started by a download of the same
 * source: a download must never replace another model (above all the one in use), and a partial file
 * must never be resumed with another file's bytes.
 */

import { createHash } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a download was started from, and what the server said the file was at the time. */
export interface SourceRecord {
  /** The hf: URI or http(s) URL that was pulled. */
  readonly source: string;
  /** The URL the bytes came from (an hf: URI resolves to one), when known. */
  readonly url?: string;
  readonly bytes: number;
  readonly etag?: string;
  readonly lastModified?: string;
}

/** The partial files a download can leave: node-llama-cpp's downloader's, and the plain stream's. */
export const PARTIAL_SUFFIXES = ['.ipull', '.partial'] as const;
const RECORD_SUFFIX = '.source.json';

export function recordPath(modelPath: string): string {
  return modelPath + RECORD_SUFFIX;
}

export async function readRecord(modelPath: string): Promise<SourceRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(recordPath(modelPath), 'utf8')) as Partial<SourceRecord>;
    return typeof r.source === 'string' && typeof r.bytes === 'number' ? (r as SourceRecord) : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(modelPath: string, record: SourceRecord): Promise<void> {
  await writeFile(recordPath(modelPath), JSON.stringify(record, null, 2) + '\n');
}

/** Keeps characters that are safe in a file name on every platform; the rest become `_`. */
export function sanitise(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._-]+/, '').replace(/\.{2,}/g, '.');
  return safe.slice(0, 100) || 'model';
}

/**
 * The name of a URL's download: its host and its file name, readable and prefixed by the host so
 * that two servers' `model.gguf` do not meet. The file name is the path's last segment when that
 * names a GGUF, else the server's Content-Disposition name (only its last component: a name that
 * climbs out of the folder, `../../x.gguf`, is just `x.gguf`), else the segment itself.
 */
export function urlFileName(url: string, serverName?: string): string {
  const u = new URL(url);
  const segment = decodeSegment(u.pathname.split('/').pop() ?? '').replace(/(\.gguf)\.part\d+of\d+$/i, '$1');
  const offered = serverName?.split(/[/\\]/).pop()?.trim();
  let file = /\.gguf$/i.test(segment) ? segment : offered || segment || 'model';
  if (!/\.gguf$/i.test(file)) file += '.gguf';
  return `${sanitise(u.hostname)}_${sanitise(file.slice(0, -'.gguf'.length))}.gguf`;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** A short hash of the source, placed before `.gguf` (and before a split file's part number). */
export function withSourceHash(name: string, source: string): string {
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 8);
  const m = /(-\d{5}-of-\d{5})?\.gguf$/i.exec(name);
  return m ? `${name.slice(0, m.index)}-${hash}${m[0]}` : `${name}-${hash}`;
}

/** How a download stands with a name: `done` (already downloaded), `resume`, `fresh`, or `taken`. */
export type Claim = 'done' | 'resume' | 'fresh' | 'taken';

function sameFile(a: SourceRecord, b: SourceRecord): boolean {
  if (a.source !== b.source || a.bytes !== b.bytes) return false;
  if (a.etag !== undefined || b.etag !== undefined) return a.etag === b.etag;
  return a.lastModified === b.lastModified;
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/**
 * Whether `record`'s download may use `name` in `dir`. A partial file from the same source whose
 * server file has changed since (size or validator) is removed here: it could only be resumed into
 * a file that is neither the old one nor the new one.
 */
export async function claim(dir: string, name: string, record: SourceRecord): Promise<Claim> {
  const path = join(dir, name);
  const kept = await readRecord(path);
  const partials = (await Promise.all(PARTIAL_SUFFIXES.map(async (s) => ((await exists(path + s)) ? path + s : undefined)))).filter((p) => p !== undefined);
  if (await exists(path)) {
    const size = await stat(path).then((s) => s.size);
    return kept && sameFile(kept, record) && size === record.bytes ? 'done' : 'taken';
  }
  if (partials.length === 0) return 'fresh';
  if (kept?.source !== record.source) return 'taken';
  if (sameFile(kept, record) && partials.includes(path + '.ipull')) return 'resume';
  await Promise.all(partials.map((p) => rm(p, { force: true })));
  return 'fresh';
}

/**
 * The first of the source's names it may use: the readable one, the one with its hash, then (for
 * a server file that changed since it was downloaded under both) one with the hash of this version.
 */
export async function chooseName(dir: string, readable: string, record: SourceRecord): Promise<{ name: string; claim: Exclude<Claim, 'taken'> } | undefined> {
  const version = `${record.source}\n${record.bytes}\n${record.etag ?? record.lastModified ?? ''}`;
  for (const name of [readable, withSourceHash(readable, record.source), withSourceHash(readable, version)]) {
    const c = await claim(dir, name, record);
    if (c !== 'taken') return { name, claim: c };
  }
  return undefined;
}
