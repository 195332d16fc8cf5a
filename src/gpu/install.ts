/**
 * `tokentree gpu install cuda|vulkan` and the editor's "Enable GPU Acceleration": the prebuilt
 * binary packages of exactly the installed node-llama-cpp version, from the npm registry, checked
 * against the registry's sha512 integrity, unpacked beside node-llama-cpp, and test-loaded in a
 * child process before they count. Nothing is left half-installed: each package is unpacked into
 * a temporary folder and renamed into place only when complete and verified.
 */

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { x as extract } from 'tar';
import { binaryPackages, GpuInstallError, installedVersion, nodeLlamaCppVersion, packageDir, packagesRoot, type GpuKind } from './binary-packages';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface InstallProgress {
  readonly package: string;
  readonly receivedBytes: number;
  /** From the server's Content-Length; undefined when it sent none. */
  readonly totalBytes: number | undefined;
}

export interface InstallOptions {
  readonly registry?: string;
  readonly onProgress?: (p: InstallProgress) => void;
  readonly signal?: AbortSignal;
  /** Loads `kind` in a child process and throws if it cannot; the installer removes what it added then. */
  readonly testLoad: (kind: GpuKind) => Promise<void>;
  /** Where node-llama-cpp lives (tests point it at an unpacked VSIX). */
  readonly root?: string;
}

export interface InstallResult {
  readonly kind: GpuKind;
  readonly version: string;
  /** Packages downloaded by this run; empty when all were already there (a second run is a no-op). */
  readonly installed: readonly string[];
  readonly present: readonly string[];
  readonly bytes: number;
}

/** The registry npm is configured with (npm_config_registry, else `npm config get registry`), else the public one. */
export async function configuredRegistry(): Promise<string> {
  const fromEnv = process.env.npm_config_registry ?? process.env.NPM_CONFIG_REGISTRY;
  if (fromEnv) return withSlash(fromEnv);
  const fromNpm = await new Promise<string | undefined>((resolve) => {
    execFile('npm', ['config', 'get', 'registry'], { timeout: 10_000, shell: process.platform === 'win32' }, (err, stdout) => resolve(err ? undefined : stdout.trim()));
  });
  return withSlash(fromNpm && /^https?:\/\//.test(fromNpm) ? fromNpm : DEFAULT_REGISTRY);
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);

export async function installGpu(kind: GpuKind, options: InstallOptions): Promise<InstallResult> {
  const root = options.root ?? packagesRoot();
  const version = nodeLlamaCppVersion(root);
  const names = binaryPackages(kind);
  const missing = names.filter((name) => installedVersion(name, root) !== version);
  if (missing.length === 0) return { kind, version, installed: [], present: names.map(scoped), bytes: 0 };
  const registry = withSlash(options.registry ?? (await configuredRegistry()));
  removeStalePartials(root);
  const added: string[] = [];
  let bytes = 0;
  try {
    for (const name of missing) {
      const { tarball, integrity } = await packageVersion(registry, name, version, options.signal);
      bytes += await downloadAndUnpack(tarball, integrity, name, root, options);
      added.push(name);
    }
    await options.testLoad(kind);
  } catch (err) {
    // A package that was added but does not load (or the rest did not arrive) is taken out again.
    for (const name of added) rmSync(packageDir(name, root), { recursive: true, force: true });
    throw err;
  }
  return { kind, version, installed: added.map(scoped), present: names.map(scoped), bytes };
}

const scoped = (name: string) => `@node-llama-cpp/${name}`;

/** What an install killed mid-way (a closed editor, a signal) left: temporary folders and files only. */
function removeStalePartials(root: string): void {
  const scope = join(root, '@node-llama-cpp');
  if (!existsSync(scope)) return;
  for (const entry of readdirSync(scope)) if (/^\..+\.partial-[0-9a-f]+(\.tgz)?$/.test(entry)) rmSync(join(scope, entry), { recursive: true, force: true });
}

async function packageVersion(registry: string, name: string, version: string, signal?: AbortSignal): Promise<{ tarball: string; integrity: string }> {
  const url = `${registry}${encodeURIComponent(scoped(name)).replace('%40', '@')}/${version}`;
  const response = await request(url, signal);
  if (response.status === 404) throw new GpuInstallError(`the registry ${registry} has no ${scoped(name)}@${version} (404)`);
  if (!response.ok) throw new GpuInstallError(`the registry ${registry} answered ${response.status} for ${scoped(name)}@${version}`);
  const meta = (await response.json()) as { dist?: { tarball?: string; integrity?: string } };
  const { tarball, integrity } = meta.dist ?? {};
  if (!tarball || !integrity?.startsWith('sha512-')) throw new GpuInstallError(`the registry's entry for ${scoped(name)}@${version} has no tarball with a sha512 integrity`);
  return { tarball, integrity };
}

async function request(url: string, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { signal, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new GpuInstallError(`the registry cannot be reached at ${new URL(url).origin} (${(err as Error).cause ? String((err as { cause: Error }).cause.message ?? (err as Error).cause) : (err as Error).message})`);
  }
}

/** Downloads one tarball (hashing as it arrives), checks it, unpacks it beside, then renames it into place. */
async function downloadAndUnpack(tarball: string, integrity: string, name: string, root: string, options: InstallOptions): Promise<number> {
  const scope = join(root, '@node-llama-cpp');
  mkdirSync(scope, { recursive: true });
  const partial = join(scope, `.${name}.partial-${randomBytes(4).toString('hex')}`);
  const file = `${partial}.tgz`;
  try {
    const response = await request(tarball, options.signal);
    if (!response.ok || !response.body) throw new GpuInstallError(`downloading ${tarball} failed: ${response.status}`);
    const total = Number(response.headers.get('content-length')) || undefined;
    const hash = createHash('sha512');
    const out = createWriteStream(file);
    let received = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      options.onProgress?.({ package: scoped(name), receivedBytes: received, totalBytes: total });
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const got = `sha512-${hash.digest('base64')}`;
    if (got !== integrity) throw new GpuInstallError(`${scoped(name)} does not match the registry's integrity (${integrity.slice(0, 24)}…); nothing was installed`);
    mkdirSync(partial);
    await extract({ file, cwd: partial, strip: 1 });
    const target = packageDir(name, root);
    rmSync(target, { recursive: true, force: true });
    renameSync(partial, target);
    return received;
  } finally {
    rmSync(file, { force: true });
    if (existsSync(partial)) rmSync(partial, { recursive: true, force: true });
  }
}
