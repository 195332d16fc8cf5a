import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitAt } from '../src/cli/args';

/** The repository root, found both from source (bench/, tools/ under tsx) and from the bundles in out/bench/. */
export const repoRoot = [join(__dirname, '..'), join(__dirname, '..', '..')].find((p) => existsSync(join(p, 'examples'))) ?? join(__dirname, '..');

/** The completion benchmarks' cursor: examples/stack.ts line 23, column 12 (after `return `). */
export function benchPosition(): { prefix: string; suffix: string } {
  return splitAt(readFileSync(join(repoRoot, 'examples', 'stack.ts'), 'utf8'), 23, 12);
}

/** The value after `--name` on the benchmark's command line, if given. */
export function benchFlag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
