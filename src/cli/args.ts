import { quoteText } from '../decoding/describe-value';
import { CliUsageError } from './errors';

/** Minimal --flag value parser: the CLI's options are few and all named. */
export function parseFlags(argv: readonly string[], spec: Record<string, 'string' | 'int' | 'bool'>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new CliUsageError(`unexpected argument ${quoteText(arg)}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const kind = spec[name];
    if (!kind) throw new CliUsageError(`unknown option ${quoteText(`--${name}`)}`);
    if (kind === 'bool') {
      out[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new CliUsageError(`--${name} needs a value`);
    if (kind === 'int') {
      if (!/^-?\d{1,15}$/.test(value)) throw new CliUsageError(`--${name} must be an integer (got ${quoteText(value)})`);
      out[name] = Number(value);
    } else out[name] = value;
  }
  return out;
}

/** Splits text at a 1-based line and column (columns count UTF-16 units, as editors do). */
export function splitAt(text: string, line: number, column: number): { prefix: string; suffix: string } {
  const lines = text.split('\n');
  if (line < 1 || line > lines.length) throw new CliUsageError(`--line ${line} is outside the file (1..${lines.length})`);
  const lineText = lines[line - 1].replace(/\r$/, '');
  if (column < 1 || column > lineText.length + 1) throw new CliUsageError(`--column ${column} is outside line ${line} (1..${lineText.length + 1})`);
  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i].length + 1;
  offset += column - 1;
  return { prefix: text.slice(0, offset), suffix: text.slice(offset) };
}
