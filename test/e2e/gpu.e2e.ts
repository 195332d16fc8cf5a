// The GPU path as a user meets it, on a machine without a GPU: the packaged VSIX's own CLI, from
// an unpacked copy (so the Vulkan package is not already in node_modules), installs the Vulkan
// binary from the npm registry and completes on Mesa's software Vulkan device (lavapipe). Only
// this test names the software device (GGML_VK_VISIBLE_DEVICES=0): users never get it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, vsixPath } from './support/code-server';

describe('GPU path: gpu install vulkan from the registry, then completions on Vulkan', function () {
  this.timeout(600_000);
  let dir: string;
  let cli: string;
  const env = { ...process.env, GGML_VK_VISIBLE_DEVICES: '0' };
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 540_000, maxBuffer: 16 << 20 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(function () {
    if (!fs.existsSync('/usr/share/vulkan/icd.d') || !fs.readdirSync('/usr/share/vulkan/icd.d').some((f) => f.includes('lvp'))) {
      throw new Error('Mesa’s software Vulkan driver is missing: run `bash test/e2e/setup.sh` (it installs mesa-vulkan-drivers)');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentree-gpu-e2e-'));
    const unzip = spawnSync('unzip', ['-q', vsixPath(), '-d', dir], { encoding: 'utf8' });
    assert.equal(unzip.status, 0, unzip.stderr);
    cli = path.join(dir, 'extension', 'dist', 'cli.js');
    assert.ok(!fs.existsSync(path.join(dir, 'extension', 'node_modules', '@node-llama-cpp', 'linux-x64-vulkan')), 'the VSIX ships no Vulkan binary');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('installs the Vulkan package of node-llama-cpp’s exact version, and a second run does nothing', () => {
    const first = run(['gpu', 'install', 'vulkan', '--json']);
    assert.equal(first.status, 0, first.stderr);
    const result = JSON.parse(first.stdout) as { installed: string[]; version: string; bytes: number };
    assert.deepEqual(result.installed, ['@node-llama-cpp/linux-x64-vulkan']);
    assert.ok(result.bytes > 1_000_000);
    assert.match(first.stderr, /linux-x64-vulkan: [\d.]+ MB of [\d.]+ MB \(100%\)/, 'progress is reported');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'extension', 'node_modules', '@node-llama-cpp', 'linux-x64-vulkan', 'package.json'), 'utf8')) as { version: string };
    assert.equal(manifest.version, result.version);
    const second = run(['gpu', 'install', 'vulkan', '--json']);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual((JSON.parse(second.stdout) as { installed: string[] }).installed, []);
  });

  it('completes on Vulkan with layers offloaded, and writes what the CPU writes', () => {
    const at = ['--file', path.join(repoRoot, 'examples', 'stack.ts'), '--line', '23', '--column', '12', '--max-tokens', '4', '--json'];
    const vulkan = run(['complete', ...at, '--gpu', 'vulkan']);
    assert.equal(vulkan.status, 0, vulkan.stderr);
    const cpu = run(['complete', ...at, '--gpu', 'off']);
    assert.equal(cpu.status, 0, cpu.stderr);
    type Out = { candidates: { text: string }[]; stats: { backend: string; device: string | null; gpuLayers: number } };
    const [v, c] = [JSON.parse(vulkan.stdout) as Out, JSON.parse(cpu.stdout) as Out];
    assert.equal(v.stats.backend, 'vulkan');
    assert.match(v.stats.device ?? '', /llvmpipe/);
    assert.ok(v.stats.gpuLayers > 0, `layers offloaded: ${v.stats.gpuLayers}`);
    assert.deepEqual(c.stats, { ...c.stats, backend: 'cpu', device: null, gpuLayers: 0 });
    assert.equal(v.candidates[0]?.text, c.candidates[0]?.text, 'the same greedy candidate');
  });

  it('without a usable device the Vulkan build reports the CPU, with the reason', () => {
    const at = ['--file', path.join(repoRoot, 'examples', 'stack.ts'), '--line', '23', '--column', '12', '--max-tokens', '4', '--json', '--gpu', 'vulkan'];
    const noDevice = { ...process.env };
    delete noDevice.GGML_VK_VISIBLE_DEVICES;
    const r = spawnSync(process.execPath, [cli, 'complete', ...at], { env: noDevice, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const { stats } = JSON.parse(r.stdout) as { stats: { backend: string; gpuLayers: number; backendNote?: string } };
    assert.deepEqual([stats.backend, stats.gpuLayers], ['cpu', 0]);
    assert.equal(stats.backendNote, 'the vulkan build loaded but found no vulkan device');
    const status = spawnSync(process.execPath, [cli, 'gpu', 'status', '--json'], { env: noDevice, encoding: 'utf8', timeout: 120_000 });
    assert.equal(status.status, 0, status.stderr);
    const probe = JSON.parse(status.stdout) as { supported: string[]; backend: string; note?: string; packages: { name: string }[] };
    assert.ok(probe.supported.includes('vulkan'));
    assert.deepEqual([probe.backend, probe.note], ['cpu', 'the vulkan build loaded but found no vulkan device']);
    assert.ok(probe.packages.some((p) => p.name === '@node-llama-cpp/linux-x64-vulkan'));
  });

  it('gpu status names the device a load gets, with its memory', () => {
    const r = run(['gpu', 'status', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const probe = JSON.parse(r.stdout) as { backend: string; devices: string[]; vram?: { total: number } };
    assert.equal(probe.backend, 'vulkan');
    assert.match(probe.devices[0] ?? '', /llvmpipe/);
    assert.ok((probe.vram?.total ?? 0) > 0);
  });

  it('bad input exits 2 with one line', () => {
    const unknown = run(['gpu', 'install', 'rocm']);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr.trim(), 'tokentree: gpu install takes cuda or vulkan (got "rocm")');
    const unreachable = run(['gpu', 'install', 'cuda', '--registry', 'http://127.0.0.1:9/']);
    assert.equal(unreachable.status, 2);
    assert.match(unreachable.stderr, /^tokentree: the registry cannot be reached at http:\/\/127\.0\.0\.1:9/);
  });
});
