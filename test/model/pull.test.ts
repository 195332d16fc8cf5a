/**
 * `tokentree pull` through node-llama-cpp's real downloader, against servers on 127.0.0.1 that
 * serve the built-in models with byte ranges, or ignore them, or name their files alike (no hub can
 * be reached here; hf: resolution itself is node-llama-cpp's and is only checked for form, in the
 * presets test below). The editor's download is checked through its vscode-free core.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { MODEL_PRESETS } from '../../src/models/presets';
import { modelUri, pullModel, PullError } from '../../src/models/pull';
import { downloadAndUse, downloadedModels } from '../../src/host/model-download-core';
import { beginRange, listenLocal, runPullCli, serveIgnoringRanges, serveNotFound, servePage } from '../support/range-server';
import { requireTestModel, TEST_MODEL } from './backend-fixtures';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('pulling a model (local HTTP server with byte ranges)', function () {
  this.timeout(60_000);
  let source: Buffer;
  let server: Server;
  let base: string;
  /** Range responses to cut off part-way (0 none, Infinity all), among those starting at `cutFrom` or later. */
  let cutsLeft = 0;
  let cutFrom = 0;
  let big: Buffer;
  const ranges: string[] = [];
  let duringPause = () => {};

  before(async () => {
    requireTestModel();
    source = readFileSync(TEST_MODEL);
    big = readFileSync(join(__dirname, '..', '..', 'models', 'tokentree-code.gguf'));
    server = createServer((req, res) => {
      const served = req.url === '/big.gguf' ? big : source;
      if (req.url === '/page.gguf') return servePage(res);
      if (req.url !== '/model.gguf' && req.url !== '/big.gguf' && req.url !== '/pausing.gguf') return serveNotFound(res);
      if (/bytes=/.test(req.headers.range ?? '')) ranges.push(req.headers.range!);
      const range = beginRange(req, res, served.length);
      if (!range) return;
      const { start, end, ranged } = range;
      if (req.url === '/pausing.gguf') {
        // A first piece, then a pause in which the test can take the disk's space away.
        res.write(served.subarray(start, start + 64 * 1024));
        setTimeout(() => {
          duringPause();
          res.end(served.subarray(start + 64 * 1024, end + 1));
        }, 300);
        return;
      }
      if (ranged && start >= cutFrom && cutsLeft > 0) {
        cutsLeft--;
        res.write(served.subarray(start, start + Math.min(64 * 1024, Math.floor((end - start) / 2))));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.end(served.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server?.close());

  let dir: string;
  beforeEach(() => {
    cutsLeft = 0;
    cutFrom = 0;
    ranges.length = 0;
    dir = mkdtempSync(join(tmpdir(), 'tokentree-pull-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('downloads a whole file, and it is the source, byte for byte', async () => {
    const progress: number[] = [];
    const r = await pullModel(`${base}/model.gguf`, { dir, onProgress: (p) => progress.push(p.downloadedBytes) });
    assert.equal(r.bytes, source.length);
    assert.equal(sha(readFileSync(r.path)), sha(source));
    assert.equal(progress.at(-1), source.length);
  });

  it('a transfer cut off part-way is resumed: only the range that was cut is fetched again, and the file equals the source', async () => {
    // The downloader fetches 5 MiB ranges; the 10 MB trained model has two, and the second is cut.
    cutsLeft = 1;
    cutFrom = 5 * 1024 * 1024;
    const r = await pullModel(`${base}/big.gguf`, { dir });
    assert.equal(sha(readFileSync(r.path)), sha(big));
    const starts = ranges.map((h) => Number(/bytes=(\d+)-/.exec(h)![1]));
    assert.equal(starts.filter((s) => s === 0).length, 1, `the first range is not fetched again: ${JSON.stringify(ranges)}`);
    assert.ok(starts.filter((s) => s >= cutFrom).length >= 2, `the cut range is asked for again: ${JSON.stringify(ranges)}`);
  });

  it('a transfer that keeps being cut off ends with a clear error instead of waiting forever', async () => {
    cutsLeft = Infinity;
    await assert.rejects(pullModel(`${base}/model.gguf`, { dir, stallMs: 1500 }), (e: Error) => e instanceof PullError && /interrupted and could not be resumed/.test(e.message));
  });

  it('a 404, and an HTML page instead of a GGUF: one clear line each, and no file kept', async () => {
    await assert.rejects(pullModel(`${base}/nope.gguf`, { dir }), (e: Error) => e instanceof PullError && e.message === `the server answered 404 for ${base}/nope.gguf: no such model file`);
    await assert.rejects(pullModel(`${base}/page.gguf`, { dir }), (e: Error) => e instanceof PullError && e.message.startsWith(`${base}/page.gguf is not a GGUF model file (it starts with "<!DOCTYPE html>"`));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.gguf')), []);
  });

  it('a server that cannot be reached: a clear error at once', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/m.gguf`;
    await new Promise((r) => closed.close(r));
    await assert.rejects(pullModel(url, { dir }), (e: Error) => e instanceof PullError && /cannot be reached \(ECONNREFUSED\)/.test(e.message));
  });

  it('the CLI: {"path", "bytes"} on success, exit 2 with one line for a 404 or a page that is not a GGUF', async () => {
    const ok = await runPullCli([`${base}/model.gguf`, '--json', '--dir', dir]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { path: join(dir, '127.0.0.1_model.gguf'), bytes: source.length });
    for (const [url, pattern] of [[`${base}/gone.gguf`, /^tokentree: the server answered 404/], [`${base}/page.gguf`, /^tokentree: .* is not a GGUF model file/]] as const) {
      const r = await runPullCli([url, '--dir', dir]);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      // Progress lines may come first; the error is one line, the last.
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.filter((l) => l.startsWith('tokentree:')).length, 1, r.stderr);
      assert.match(lines.at(-1)!, pattern);
    }
  });

  it('cancelling stops the transfer and keeps no finished file', async () => {
    cutsLeft = Infinity;
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 300);
    await assert.rejects(pullModel(`${base}/model.gguf`, { dir, signal: cancel.signal }), /was cancelled/);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.gguf')), []);
    const early = new AbortController();
    early.abort();
    await assert.rejects(pullModel(`${base}/model.gguf`, { dir, signal: early.signal }), /was cancelled/);
  });

  describe('on a full disk (a small tmpfs; needs root, as CI has)', () => {
    let small: string;
    const mount = (size: string) => spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', small], { encoding: 'utf8' });
    beforeEach(function () {
      small = mkdtempSync(join(tmpdir(), 'tokentree-full-'));
      const r = mount('1m');
      if (r.status !== 0) {
        rmSync(small, { recursive: true, force: true });
        this.skip(); // not root: mount is refused (the CI stage runs as root)
      }
    });
    afterEach(() => {
      duringPause = () => {};
      spawnSync('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    });

    it('a file bigger than the free space is refused before anything is written, in one line; the CLI exits 2', async () => {
      await assert.rejects(pullModel(`${base}/model.gguf`, { dir: small }), (e: Error) => e instanceof PullError && /^the disk is full: .* needs 5 MB more and .* has 1 MB free/.test(e.message));
      assert.deepEqual(readdirSync(small), []);
      const { status, stderr } = await runPullCli([`${base}/model.gguf`, '--dir', small]);
      assert.equal(status, 2, stderr);
      assert.match(stderr, /^tokentree: the disk is full: /);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    });

    it('a disk that fills up during the transfer: one clear error (not a crash), and no short file left as a model', async () => {
      spawnSync('umount', [small]);
      assert.equal(mount('8m').status, 0);
      duringPause = () => writeFileSync(join(small, 'filler'), Buffer.alloc(6 * 1024 * 1024));
      await assert.rejects(pullModel(`${base}/pausing.gguf`, { dir: small }), (e: Error) => e instanceof PullError && /^the disk is full: .* did not fit/.test(e.message));
      assert.deepEqual(readdirSync(small).filter((f) => f.endsWith('.gguf')), []);
    });
  });

  it('presets are hf: URIs of the form user/repo:quant, with unique ids; other sources are refused', () => {
    const ids = new Set<string>();
    for (const p of MODEL_PRESETS) {
      assert.match(p.uri, /^hf:[\w.-]+\/[\w.-]+-GGUF:(Q8_0|Q4_K_M)$/, p.id);
      assert.ok(!ids.has(p.id), p.id);
      ids.add(p.id);
      assert.equal(modelUri(p.id), p.uri);
      assert.ok(p.sizeBytes > 1e8);
    }
    assert.throws(() => modelUri('ftp://example.com/m.gguf'), PullError);
    assert.throws(() => modelUri('qwen-9000'), /is not a preset/);
  });
});

describe('pulling from servers that ignore byte ranges, and names that cannot collide', function () {
  this.timeout(60_000);
  const builtin = readFileSync(TEST_MODEL);
  const code = readFileSync(join(__dirname, '..', '..', 'models', 'tokentree-code.gguf'));
  const servers: Server[] = [];
  /** Requests the servers saw, as "base METHOD url range". */
  const seen: string[] = [];
  let ignoring: string;
  let dir: string;
  const serve = async (handler: Parameters<typeof listenLocal>[0]) => {
    const { server, base } = await listenLocal((req, res) => {
      seen.push(`${base} ${req.method} ${req.url} ${req.headers.range ?? ''}`);
      handler(req, res);
    });
    servers.push(server);
    return base;
  };
  const isSource = (path: string, body: Buffer) => assert.equal(sha(readFileSync(path)), sha(body), `${path} is not the file served`);
  const ggufs = () => readdirSync(dir).filter((f) => f.endsWith('.gguf')).sort();

  before(async () => {
    ignoring = await serve((req, res) => {
      if (req.url === '/code.gguf') return serveIgnoringRanges(req, res, code);
      if (req.url === '/cut.gguf') return serveIgnoringRanges(req, res, code, { cutAt: 3 * 1024 * 1024 });
      if (req.url === '/climbs') return serveIgnoringRanges(req, res, builtin, { disposition: 'attachment; filename="../../x.gguf"' });
      serveNotFound(res);
    });
  });
  after(() => servers.forEach((s) => s.close()));
  beforeEach(() => {
    seen.length = 0;
    dir = mkdtempSync(join(tmpdir(), 'tokentree-names-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a server that answers ranges with the whole file (200): the model arrives whole, as one stream with progress', async () => {
    const progress: number[] = [];
    const r = await pullModel(`${ignoring}/code.gguf`, { dir, onProgress: (p) => progress.push(p.downloadedBytes) });
    isSource(r.path, code);
    assert.equal(r.bytes, code.length);
    assert.equal(progress.at(-1), code.length);
    assert.deepEqual(readdirSync(dir).sort(), ['127.0.0.1_code.gguf', '127.0.0.1_code.gguf.source.json']);
  });

  it('a server whose ranges work for a probe and then stop working: the transfer starts over as one stream', async () => {
    const probeOnly = await serve((req, res) => {
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      if (!m || m[1] !== m[2]) return serveIgnoringRanges(req, res, code);
      const at = Number(m[1]);
      res.writeHead(206, { 'content-range': `bytes ${at}-${at}/${code.length}`, 'content-length': '1' });
      res.end(code.subarray(at, at + 1));
    });
    const r = await pullModel(`${probeOnly}/code.gguf`, { dir });
    isSource(r.path, code);
    assert.ok(seen.some((s) => s.startsWith(probeOnly) && /bytes=\d+-\d+$/.test(s) && !/bytes=(\d+)-\1$/.test(s)), `the ranged downloader was tried first: ${seen.join('\n')}`);
    assert.deepEqual(ggufs(), ['127.0.0.1_code.gguf']);
  });

  it('the CLI: a range-ignoring server gives the whole file (exit 0, no stack trace); a cut stream ends with one line, exit 2, nothing kept', async () => {
    const ok = await runPullCli([`${ignoring}/code.gguf`, '--dir', dir, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const { path, bytes } = JSON.parse(ok.stdout) as { path: string; bytes: number };
    isSource(path, code);
    assert.equal(bytes, code.length);
    assert.doesNotMatch(ok.stderr, /Error|\n\s+at /, ok.stderr);
    const cut = await runPullCli([`${ignoring}/cut.gguf`, '--dir', dir]);
    assert.equal(cut.status, 2, cut.stderr);
    const lines = cut.stderr.trim().split('\n');
    assert.equal(lines.filter((l) => !/^[\d.]+ of [\d.]+ MB/.test(l)).length, 1, cut.stderr);
    assert.match(lines.at(-1)!, /^tokentree: the transfer of .*\/cut\.gguf was interrupted .*pulling again starts over$/);
    assert.deepEqual(readdirSync(dir).sort(), ['127.0.0.1_code.gguf', '127.0.0.1_code.gguf.source.json']);
  });

  it("the editor's download: a range-ignoring server's model is used; a cut one changes no setting and says so in one line", async () => {
    const settings = { modelPath: '/models/in-use.gguf' };
    const use = async (path: string) => void (settings.modelPath = path);
    const cut = await downloadAndUse(`${ignoring}/cut.gguf`, { dir, inUse: 'in-use.gguf', use });
    assert.equal(cut.ok, false);
    assert.ok(!cut.ok && !cut.cancelled && /^the transfer of .* was interrupted .*\. TokenTree keeps using in-use\.gguf\.$/.test(cut.message) && !cut.message.includes('\n'), JSON.stringify(cut));
    assert.equal(settings.modelPath, '/models/in-use.gguf');
    assert.deepEqual(readdirSync(dir), []);
    const r = await downloadAndUse(`${ignoring}/code.gguf`, { dir, inUse: 'in-use.gguf', use });
    assert.ok(r.ok);
    assert.equal(settings.modelPath, r.path);
    isSource(r.path, code);
  });

  it('two servers that name their files alike: both models are kept, each whole, and the one in use is not replaced', async () => {
    const disposition = 'attachment; filename="model.gguf"';
    const a = await serve((req, res) => {
      res.setHeader('content-disposition', disposition);
      const range = beginRange(req, res, builtin.length);
      if (range) res.end(builtin.subarray(range.start, range.end + 1));
    });
    const b = await serve((req, res) => serveIgnoringRanges(req, res, code, { disposition }));
    const settings = { modelPath: '' };
    const use = async (path: string) => void (settings.modelPath = path);
    const first = await downloadAndUse(`${a}/download?id=1`, { dir, inUse: 'the built-in demo model', use });
    assert.ok(first.ok);
    assert.equal(settings.modelPath, first.path);
    // The CLI's download (it sets nothing) and the editor's both leave the first model as it was.
    const second = await pullModel(`${b}/download?id=2`, { dir });
    assert.equal(basename(first.path), '127.0.0.1_model.gguf');
    assert.match(basename(second.path), /^127\.0\.0\.1_model-[0-9a-f]{8}\.gguf$/);
    isSource(first.path, builtin);
    isSource(second.path, code);
    assert.equal(settings.modelPath, first.path);
    const again = await downloadAndUse(`${b}/download?id=2`, { dir, inUse: 'model.gguf', use });
    assert.ok(again.ok && again.path === second.path, 'the same source gets the same file');
    isSource(first.path, builtin);
    assert.equal(ggufs().length, 2, ggufs().join(' '));
    // Manage Models shows where each came from.
    const listed = await downloadedModels(dir);
    assert.deepEqual(listed.map((m) => [m.path, m.source]).sort(), [[first.path, `${a}/download?id=1`], [second.path, `${b}/download?id=2`]].sort());
  });

  it('a partial file from URL A is resumed by A and not by B; a file no download started is never replaced', async () => {
    // A: the first 5 MiB range (the downloader's first piece) at once, the others slowly.
    let slow = true;
    const a = await serve((req, res) => {
      const range = beginRange(req, res, code.length);
      if (!range) return;
      if (range.start === 0 || !slow) return void res.end(code.subarray(range.start, range.end + 1));
      res.write(code.subarray(range.start, range.start + 64 * 1024));
      setTimeout(() => res.end(code.subarray(range.start + 64 * 1024, range.end + 1)), 3000);
    });
    const b = await serve((req, res) => serveIgnoringRanges(req, res, builtin, { disposition: 'attachment; filename="model.gguf"' }));
    const cancel = new AbortController();
    const partial = join(dir, '127.0.0.1_model.gguf.ipull');
    // Cancelled once the first piece is written and recorded: the downloader keeps its record of
    // the pieces it has after the file's last byte.
    const written = setInterval(() => existsSync(partial) && statSync(partial).size > code.length && cancel.abort(), 20);
    await assert.rejects(pullModel(`${a}/model.gguf`, { dir, signal: cancel.signal }), /was cancelled/).finally(() => clearInterval(written));
    assert.ok(existsSync(partial), readdirSync(dir).join(' '));
    const partialBytes = sha(readFileSync(partial));
    const r = await pullModel(`${b}/model.gguf`, { dir });
    isSource(r.path, builtin);
    assert.match(basename(r.path), /^127\.0\.0\.1_model-[0-9a-f]{8}\.gguf$/);
    assert.equal(sha(readFileSync(partial)), partialBytes, "A's partial file is left for A");
    slow = false;
    seen.length = 0;
    const resumed = await pullModel(`${a}/model.gguf`, { dir });
    assert.equal(resumed.path, join(dir, '127.0.0.1_model.gguf'));
    isSource(resumed.path, code);
    assert.ok(!seen.some((s) => s.includes('bytes=0-')), `A's first range is not fetched again: ${seen.join('\n')}`);
    // A file of the user's own where a download's name would go.
    writeFileSync(join(dir, '127.0.0.1_code.gguf'), 'mine');
    const beside = await pullModel(`${ignoring}/code.gguf`, { dir });
    assert.match(basename(beside.path), /^127\.0\.0\.1_code-[0-9a-f]{8}\.gguf$/);
    isSource(beside.path, code);
    assert.equal(readFileSync(join(dir, '127.0.0.1_code.gguf'), 'utf8'), 'mine');
  });

  it('a server name that climbs out of the folder ("../../x.gguf") lands inside it, readably named', async () => {
    const inner = join(dir, 'models');
    const r = await pullModel(`${ignoring}/climbs`, { dir: inner });
    assert.equal(r.path, join(inner, '127.0.0.1_x.gguf'));
    isSource(r.path, builtin);
    assert.deepEqual(readdirSync(dir), ['models']);
  });
});
