import fs from 'node:fs';
import path from 'node:path';

/**
 * The Machine settings (code-server's remote settings, which the extension host reads at once):
 * what the file held when this was made, values overlaid on it, and the file put back as it was.
 */
export function machineSettings(file: string): { set(values: Record<string, unknown>): void; restore(): void } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '{}';
  return {
    set: (values) => fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(saved), ...values }, null, 2)),
    restore: () => fs.writeFileSync(file, saved),
  };
}
