/**
 * The CLI tells its version and how each command is used (exit 0), and its download progress
 * stays short where stderr is a log, not a terminal.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progressPrinter } from '../../src/cli/progress';
import { listenLocal, runPullCli, serveIgnoringRanges, servePage } from '../support/range-server';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const COMMANDS = ['sample', 'complete', 'compare', 'type', 'pull', 'models', 'gpu', 'eval', 'calibrate'];

function run(args: readonly string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('CLI help, version and progress', function () {
  this.timeout(60_000);

  it('--version prints the package version, exit 0', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = run(['--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `tokentree ${version}\n`);
  });

  it('help <command> and <command> --help print that command\'s usage, exit 0', () => {
    for (const command of COMMANDS) {
      for (const args of [['help', command], [command, '--help'], [command, '-h']]) {
        const r = run(args);
        assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, '');
        assert.ok(r.stdout.startsWith(`usage: tokentree ${command}`), `${args.join(' ')}: ${r.stdout}`);
      }
    }
    // After other options too, and never run: complete without --file would fail.
    assert.equal(run(['complete', '--strategy', 'beam', '--help']).status, 0);
    const all = run(['--help']);
    assert.equal(all.status, 0);
    for (const command of COMMANDS) assert.match(all.stdout, new RegExp(`^  ${command} `, 'm'));
  });

  it('help for an unknown command: one line, exit 2', () => {
    const r = run(['help', 'frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^tokentree: no command "frobnicate"/);
  });

  it('progress on a non-terminal: at most one line per tenth; on a terminal, at most one a second', () => {
    const lines: string[] = [];
    const log = progressPrinter({ isTTY: false, write: (t) => lines.push(t) });
    const total = 50 * 1024 * 1024;
    for (let got = 0; got <= total; got += 64 * 1024) log(got, total);
    log(total, total);
    assert.equal(lines.length, 11, lines.join(''));
    assert.equal(lines.at(-1), '50.0 of 50.0 MB (100%)\n');
    let clock = 0;
    const shown: string[] = [];
    const tty = progressPrinter({ isTTY: true, write: (t) => shown.push(t) }, undefined, () => clock);
    for (let got = 0; got < total; got += total / 100, clock += 100) tty(got, total);
    tty(total, total);
    assert.equal(shown.length, 11, shown.join(''));
    // A page a few bytes long is not a download: no progress at all.
    const none: string[] = [];
    progressPrinter({ isTTY: false, write: (t) => none.push(t) })(60, 60);
    assert.deepEqual(none, []);
  });

  it('`pull` with stderr piped: no repeated progress before an error, at most 11 lines for a file', async () => {
    const model = readFileSync(join(ROOT, 'models', 'tokentree-code.gguf'));
    const { server, base } = await listenLocal((req, res) => (req.url === '/page.gguf' ? servePage(res) : serveIgnoringRanges(req, res, model)));
    const dir = mkdtempSync(join(tmpdir(), 'tokentree-progress-'));
    try {
      const page = await runPullCli([`${base}/page.gguf`, '--dir', dir]);
      assert.equal(page.status, 2);
      assert.equal(page.stderr.trim().split('\n').length, 1, page.stderr);
      const ok = await runPullCli([`${base}/model.gguf`, '--dir', dir]);
      assert.equal(ok.status, 0, ok.stderr);
      const progress = ok.stderr.trim().split('\n').filter((l) => /^[\d.]+ of [\d.]+ MB \(\d+%\)$/.test(l));
      assert.ok(progress.length >= 1 && progress.length <= 11, ok.stderr);
      assert.equal(new Set(progress).size, progress.length, `no line repeats: ${ok.stderr}`);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
