import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The built CLI (`node esbuild.mjs` writes it). */
export const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

/** `tokentree ARGS` with `--json`: exit 0 asserted, stdout parsed. */
export function cliJson(args: readonly string[]): unknown {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
