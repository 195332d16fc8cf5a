import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitAt } from '../src/cli/args';

/** The repository root, found both from source (bench/, tools/ under tsx) and from the bundles in out/bench/. */
export const repoRoot = [join(__dirname, '..'), join(__dirname, '..', '..')].find((p) => existsSync(join(p, 'examples'))) ?? join(__dirname, '..');

/** The completion benchmarks' cursor: examples/stack.ts line 23, column 12 (after `return `). */
export function benchPosition(): { prefix: string; suffix: string } {
  return splitAt(readFileSync(join(repoRoot, 'examples', 'stack.ts'), 'utf8'), 23, 12);
}
