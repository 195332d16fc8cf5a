import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pullModel, PullError } from '../models/pull';
import { parseFlags } from './args';
import { progressPrinter } from './progress';

const MB = 1024 * 1024;
/** Where `tokentree pull` puts models without --dir. */
export const DEFAULT_MODELS_DIR = join(homedir(), '.tokentree', 'models');

/** `tokentree pull <preset|hf:URI|https URL> [--dir DIR] [--json]`: prints {"path", "bytes"}. */
export async function runPull(argv: readonly string[]): Promise<string> {
  const [source, ...rest] = argv;
  if (source === undefined || source.startsWith('--')) throw new PullError('pull needs a preset, an hf: URI or an http(s) URL (tokentree pull <source> [--dir DIR] [--json])');
  const f = parseFlags(rest, { dir: 'string', json: 'bool' });
  const dir = resolve(String(f.dir ?? DEFAULT_MODELS_DIR));
  const print = progressPrinter(process.stderr);
  const { path, bytes } = await pullModel(source, { dir, onProgress: (p) => print(p.downloadedBytes, p.totalBytes) });
  return f.json === true ? JSON.stringify({ path, bytes }) : `${path} (${(bytes / MB).toFixed(1)} MB)`;
}
