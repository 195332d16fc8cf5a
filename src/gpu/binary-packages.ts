/**
 * node-llama-cpp's prebuilt binaries come as npm packages, one per platform and GPU kind, found by
 * `import()` from node-llama-cpp's own folder. The VSIX ships the CPU package only (the CUDA ones
 * are 540 MB); these are the names and places to add a GPU one.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type GpuKind = 'cuda' | 'vulkan';
export const GPU_KINDS: readonly GpuKind[] = ['cuda', 'vulkan'];

/** A request the user can fix (a kind or platform without a package, a registry that refuses): exit 2. */
export class GpuInstallError extends Error {
  override readonly name = 'GpuInstallError';
}

/** The packages (without scope) that make up `kind` on this platform; CUDA's libraries come in two. */
export function binaryPackages(kind: GpuKind, platform: string = process.platform, arch: string = process.arch): string[] {
  const os = platform === 'linux' ? 'linux' : platform === 'win32' ? 'win' : undefined;
  if (os === undefined || arch !== 'x64') {
    throw new GpuInstallError(`node-llama-cpp has no prebuilt ${kind} binary for ${platform}-${arch} (only linux-x64 and win-x64 have CUDA and Vulkan packages; macOS uses Metal, which is built in)`);
  }
  return kind === 'cuda' ? [`${os}-x64-cuda`, `${os}-x64-cuda-ext`] : [`${os}-x64-vulkan`];
}

/** The node_modules folder that holds node-llama-cpp, where its binary packages must go. */
export function packagesRoot(): string {
  // node-llama-cpp's exports do not include its package.json: look where Node would look for it.
  const root = (require.resolve.paths('node-llama-cpp') ?? []).find((dir) => existsSync(join(dir, 'node-llama-cpp', 'package.json')));
  if (root === undefined) throw new Error('node-llama-cpp is not installed next to TokenTree');
  return root;
}

export function packageDir(name: string, root = packagesRoot()): string {
  return join(root, '@node-llama-cpp', name);
}

export function nodeLlamaCppVersion(root = packagesRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'node-llama-cpp', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The version of `name` installed next to node-llama-cpp; undefined when absent or unreadable. */
export function installedVersion(name: string, root = packagesRoot()): string | undefined {
  const manifest = join(packageDir(name, root), 'package.json');
  if (!existsSync(manifest)) return undefined;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The binary packages present, CPU included, with their versions. */
export function presentBinaryPackages(root = packagesRoot()): { name: string; version: string }[] {
  const names = ['linux-x64', 'linux-x64-cuda', 'linux-x64-cuda-ext', 'linux-x64-vulkan', 'linux-arm64', 'win-x64', 'win-x64-cuda', 'win-x64-cuda-ext', 'win-x64-vulkan', 'mac-arm64-metal', 'mac-x64'];
  return names.flatMap((name) => {
    const version = installedVersion(name, root);
    return version ? [{ name: `@node-llama-cpp/${name}`, version }] : [];
  });
}
