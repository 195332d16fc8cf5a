/**
 * The CLI refuses what it cannot read, and its error lines stay one short, printable line
 * whatever the bad input was (exit code 2, nothing on stdout).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeValue, quoteText, terminalLine } from '../../src/decoding/describe-value';
import { jsonDepth } from '../../src/cli/sample';
import { CORRUPTIONS, writeCorruptModel, type CorruptionName } from '../support/corrupt-models';

const BUILTIN = join(__dirname, '..', '..', 'models', 'tokentree-builtin.gguf');

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function run(args: readonly string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 20_000, maxBuffer: 64 << 20 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Exit code 2 and one printable line of at most a few hundred characters. */
function refused(r: ReturnType<typeof run>, pattern: RegExp): void {
  assert.equal(r.signal, null, 'no signal');
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr.slice(0, 500));
  assert.ok(lines[0]!.length <= 400, `a ${lines[0]!.length}-character line`);
  assert.ok(!/[\u0000-\u001f\u007f]/.test(lines[0]!), 'no control characters');
  assert.match(lines[0]!, pattern);
}

describe('CLI input checks', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a corrupted model file: exit 2 with one line naming it, for complete, type and eval alike', () => {
    const source = join(dir, 'source.ts');
    writeFileSync(source, 'function add(a, b) {\n  return a\n}\n');
    for (const name of Object.keys(CORRUPTIONS) as CorruptionName[]) {
      const model = writeCorruptModel(BUILTIN, dir, name);
      const at = ['--file', source, '--line', '2', '--column', '10', '--model', model];
      refused(run(['complete', ...at]), new RegExp(model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
    const model = writeCorruptModel(BUILTIN, dir, 'head count 0');
    refused(run(['type', '--file', source, '--line', '2', '--column', '10', '--text', 'b', '--model', model]), /head_count is 0/);
    refused(run(['eval', '--model', model, '--positions', '2']), /head_count is 0/);
  });

  it('--file must be a regular file: devices, FIFOs and directories are refused at once', () => {
    const at = ['--line', '1', '--column', '1'];
    refused(run(['complete', '--file', '/dev/zero', ...at]), /is a device, not a regular file/);
    const fifo = join(dir, 'pipe');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    refused(run(['complete', '--file', fifo, ...at]), /is a FIFO, not a regular file/);
    refused(run(['type', '--file', dir, ...at, '--text', 'x']), /is a directory, not a regular file/);
    refused(run(['complete', '--file', join(dir, 'missing.ts'), ...at]), /no such file/);
  });

  it('a bad value is quoted short and escaped: a 5 MB field, terminal escapes, an unknown option', () => {
    refused(run(['sample'], `{"${'k'.repeat(5_000_000)}":1}`), /unknown field "k{80}…"/);
    refused(run(['sample'], JSON.stringify({ logits: ['\u001b[31mred\u001b[0m'] })), /must be a finite number \(got "\\u001b\[31mred\\u001b\[0m"\)/);
    refused(run(['sample'], JSON.stringify({ logits: [1], samplers: [{ type: 'top_k', k: 'x'.repeat(10_000) }] })), /k must be/);
    refused(run(['complete', '--\u001b[2Jwipe']), /unknown option "--\\u001b\[2Jwipe"/);
  });

  it('deeply nested JSON is refused before parsing', () => {
    refused(run(['sample'], '['.repeat(200_000)), /nests more than 1000 levels deep/);
    refused(run(['sample'], `{"logits":[1],"samplers":${'['.repeat(40)}${']'.repeat(40)}}`), /nests 41 levels deep/);
  });

  it('eval validates its numbers', () => {
    refused(run(['eval', '--positions', '-3']), /--positions must be an integer between 1 and/);
    refused(run(['eval', '--max-tokens', '0']), /--max-tokens must be an integer between 1 and 1024/);
    refused(run(['eval', '--positions', '99999999999999999999']), /--positions must be an integer/);
  });

  it('calibrate refuses what it cannot fit from', () => {
    refused(run(['calibrate', '--strategies', 'greedy,nope']), /unknown strategy "nope"/);
    refused(run(['calibrate', '--model', '/nonexistent/m.gguf']), /--model: no file/);
    refused(run(['calibrate', '--from-records', '/nonexistent/r.json']), /--from-records: no file/);
    refused(run(['calibrate', '--from-records', __filename]), /is not JSON/);
  });

  it('quoting helpers with literal values', () => {
    assert.equal(quoteText('a"b\u0007', 10), '"a\\"b\\u0007"');
    assert.equal(quoteText('abcdef', 3), '"abc…"');
    assert.equal(describeValue({ deep: { er: 1 } }), 'an object');
    assert.equal(describeValue([1, 2, 3]), 'an array of 3');
    assert.equal(terminalLine('one\ntwo\u001b'), 'one two\\u001b');
    assert.equal(jsonDepth('{"a":"[[[","b":[[1]]}'), 3);
  });
});
