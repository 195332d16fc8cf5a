// `npm run test:e2e [-- --vsix file.vsix] [-- --grep text]`: packages the VSIX (unless given one),
// runs the mocha e2e suite (test/e2e/.mocharc.json) against code-server in Chromium, and always
// ends with one line "e2e: N passed, N failed ...". E2E_SKIP=1 skips the whole run (exit 0);
// E2E_TIMEOUT_S bounds it (default 900 s).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkPrerequisites, pidFile, repoRoot, vsixPath } from './support/code-server';

const { values: args } = parseArgs({ options: { vsix: { type: 'string' }, grep: { type: 'string' } } });
const started = Date.now();
const seconds = (since: number) => `${Math.round((Date.now() - since) / 1000)}s`;

function finish(passed: number, failed: number, detail: string): never {
  console.log(`e2e: ${passed} passed, ${failed} failed (${detail})`);
  process.exit(failed > 0 || passed === 0 ? 1 : 0);
}

if (process.env.E2E_SKIP === '1') {
  console.log('e2e: skipped (E2E_SKIP=1)');
  process.exit(0);
}
const missing = checkPrerequisites();
if (missing.length) {
  console.error(`e2e: missing ${missing.join(' and ')}; run \`bash test/e2e/setup.sh\` (root, Debian) first`);
  finish(0, 1, 'setup missing');
}

let vsix = args.vsix ? path.resolve(args.vsix) : vsixPath();
const packageStarted = Date.now();
if (!args.vsix) {
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs'), '--out', vsix], { cwd: repoRoot, stdio: 'inherit' });
  if (res.status !== 0) finish(0, 1, `packaging failed with exit ${res.status ?? res.signal}`);
} else if (!fs.existsSync(vsix)) {
  finish(0, 1, `no VSIX at ${vsix}`);
}
vsix = path.resolve(vsix);
const packageTime = args.vsix ? 'given' : seconds(packageStarted);

const testsStarted = Date.now();
const mocha = spawn(process.execPath, [
  path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', 'test/e2e/.mocharc.json',
  ...(args.grep ? ['--grep', args.grep] : []),
], { cwd: repoRoot, env: { ...process.env, E2E_VSIX: vsix }, stdio: ['ignore', 'pipe', 'inherit'] });

// Pass the output through, keeping the reporter's summary for the final line.
let summary: { passed: number; failed: number } | undefined;
let pending = '';
mocha.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^e2e: (\d+) passed, (\d+) failed/.exec(line);
    if (m) summary = { passed: Number(m[1]), failed: Number(m[2]) };
  }
});

const limitS = Number(process.env.E2E_TIMEOUT_S ?? 900);
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`e2e: no result after ${limitS}s, stopping the tests`);
  mocha.kill('SIGTERM');
  setTimeout(() => mocha.kill('SIGKILL'), 10_000).unref();
}, limitS * 1000);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => mocha.kill(signal));

mocha.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  killLeftoverCodeServer();
  const detail = `total ${seconds(started)}: package ${packageTime}, tests ${seconds(testsStarted)}`;
  if (timedOut) finish(summary?.passed ?? 0, Math.max(1, summary?.failed ?? 0), `timed out; ${detail}`);
  if (!summary) finish(0, 1, `mocha exited with ${code ?? signal} before reporting; ${detail}`);
  if (code !== 0 && summary.failed === 0) finish(summary.passed, 1, `mocha exited with ${code ?? signal}; ${detail}`);
  finish(summary.passed, summary.failed, detail);
});

/** The suite stops code-server itself; this covers a mocha that was killed. */
function killLeftoverCodeServer(): void {
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  try {
    process.kill(-pid, 'SIGKILL');
    console.error(`e2e: killed leftover code-server (process group ${pid})`);
  } catch {
    // already gone
  }
  fs.rmSync(pidFile, { force: true });
}
