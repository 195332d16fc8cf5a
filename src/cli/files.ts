import { readFileSync, statSync } from 'node:fs';
import { quoteText } from '../decoding/describe-value';
import { CliUsageError } from './errors';

/**
 * A text file the CLI was pointed at, read whole: refused unless it is a regular file below
 * `maxBytes`, since a device (/dev/zero) or a FIFO would be read without end, or block forever.
 */
export function readTextFile(path: string, flag: string, maxBytes: number): string {
  let kind: string;
  let size: number;
  try {
    const st = statSync(path);
    size = st.size;
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliUsageError(`cannot read ${flag} ${quoteText(path)}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
  if (kind !== 'file') throw new CliUsageError(`${flag} ${quoteText(path)} is ${kind}, not a regular file`);
  if (size > maxBytes) throw new CliUsageError(`${flag} ${quoteText(path)} is ${size} bytes; the limit is ${maxBytes}`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliUsageError(`cannot read ${flag} ${quoteText(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
