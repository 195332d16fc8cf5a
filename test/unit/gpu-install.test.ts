/**
 * `gpu install` against a registry served from 127.0.0.1 by the test: the real download,
 * integrity check, unpacking and rollback, with package tarballs the test makes itself. The real
 * registry and a real Vulkan load are the e2e stage's (test/e2e/gpu.e2e.ts).
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as createTar } from 'tar';
import { binaryPackages, GpuInstallError } from '../../src/gpu/binary-packages';
import { installGpu, type InstallProgress } from '../../src/gpu/install';

const VERSION = '3.22.1';
const [VULKAN] = binaryPackages('vulkan', 'linux', 'x64');

describe('gpu install (local registry)', function () {
  this.timeout(30_000);
  let dir: string;
  let server: Server;
  let registry: string;
  let tarball: Buffer;
  let integrity: string;
  let requests: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-gpu-'));
    // The package as npm packs it: everything under package/.
    const src = join(dir, 'src', 'package');
    mkdirSync(join(src, 'bins'), { recursive: true });
    writeFileSync(join(src, 'package.json'), JSON.stringify({ name: `@node-llama-cpp/${VULKAN}`, version: VERSION }));
    writeFileSync(join(src, 'bins', 'llama-addon.node'), 'not really a binary');
    await createTar({ gzip: true, file: join(dir, 'pkg.tgz'), cwd: join(dir, 'src') }, ['package']);
    tarball = readFileSync(join(dir, 'pkg.tgz'));
    integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;
    server = createServer((req, res) => {
      requests.push(req.url!);
      if (req.url === `/@node-llama-cpp%2F${VULKAN}/${VERSION}`) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ dist: { tarball: `${registry}tarballs/pkg.tgz`, integrity: tamper ? integrity.replace(/.$/, integrity.endsWith('A') ? 'B' : 'A') : integrity } }));
      } else if (req.url === '/tarballs/pkg.tgz') {
        res.setHeader('content-length', String(tarball.length));
        res.end(tarball);
      } else {
        res.statusCode = 404;
        res.end('{"error":"Not found"}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let tamper = false;
  let root: string;
  beforeEach(() => {
    tamper = false;
    requests = [];
    root = mkdtempSync(join(dir, 'node_modules-'));
    mkdirSync(join(root, 'node-llama-cpp'));
    writeFileSync(join(root, 'node-llama-cpp', 'package.json'), JSON.stringify({ name: 'node-llama-cpp', version: VERSION }));
  });
  const leftovers = () => (existsSync(join(root, '@node-llama-cpp')) ? readdirSync(join(root, '@node-llama-cpp')) : []);

  it('downloads the exact version, checks its integrity, unpacks it beside node-llama-cpp, test-loads it; a second run is a no-op', async () => {
    const progress: InstallProgress[] = [];
    const loaded: string[] = [];
    const options = { registry, root, onProgress: (p: InstallProgress) => progress.push(p), testLoad: async (k: string) => void loaded.push(k) };
    const first = await installGpu('vulkan', options);
    assert.deepEqual(first, { kind: 'vulkan', version: VERSION, installed: [`@node-llama-cpp/${VULKAN}`], present: [`@node-llama-cpp/${VULKAN}`], bytes: tarball.length });
    assert.equal(readFileSync(join(root, '@node-llama-cpp', VULKAN!, 'bins', 'llama-addon.node'), 'utf8'), 'not really a binary');
    assert.deepEqual(loaded, ['vulkan']);
    assert.equal(progress.at(-1)!.receivedBytes, tarball.length);
    assert.equal(progress.at(-1)!.totalBytes, tarball.length);
    assert.deepEqual(leftovers(), [VULKAN], 'no temporary files left');
    requests = [];
    const second = await installGpu('vulkan', options);
    assert.deepEqual(second.installed, []);
    assert.deepEqual(requests, [], 'nothing fetched the second time');
  });

  it('a tarball that does not match the registry’s integrity installs nothing', async () => {
    tamper = true;
    await assert.rejects(installGpu('vulkan', { registry, root, testLoad: async () => undefined }), (e: Error) => e instanceof GpuInstallError && /does not match the registry's integrity/.test(e.message));
    assert.deepEqual(leftovers(), []);
  });

  it('a download cancelled half-way, or killed earlier, leaves nothing behind', async () => {
    mkdirSync(join(root, '@node-llama-cpp', `.${VULKAN}.partial-0badf00d`), { recursive: true });
    const abort = new AbortController();
    await assert.rejects(installGpu('vulkan', { registry, root, signal: abort.signal, onProgress: () => abort.abort(), testLoad: async () => undefined }));
    assert.deepEqual(leftovers(), []);
  });

  it('a package that does not load is removed again', async () => {
    await assert.rejects(installGpu('vulkan', { registry, root, testLoad: async () => { throw new Error('no libvulkan'); } }), /no libvulkan/);
    assert.deepEqual(leftovers(), []);
  });

  it('a registry that answers 404 or cannot be reached: a clear error', async () => {
    await assert.rejects(installGpu('cuda', { registry, root, testLoad: async () => undefined }), (e: Error) =>
      e instanceof GpuInstallError && e.message === `the registry ${registry} has no @node-llama-cpp/linux-x64-cuda@${VERSION} (404)`);
    await assert.rejects(installGpu('vulkan', { registry: 'http://127.0.0.1:9/', root, testLoad: async () => undefined }), (e: Error) =>
      e instanceof GpuInstallError && /cannot be reached at http:\/\/127\.0\.0\.1:9/.test(e.message));
    assert.deepEqual(leftovers(), []);
  });

  it('a platform without the package: a clear error', () => {
    assert.throws(() => binaryPackages('cuda', 'darwin', 'arm64'), GpuInstallError);
    assert.deepEqual(binaryPackages('cuda', 'linux', 'x64'), ['linux-x64-cuda', 'linux-x64-cuda-ext']);
    assert.deepEqual(binaryPackages('vulkan', 'win32', 'x64'), ['win-x64-vulkan']);
  });
});
