import { quoteText } from '../decoding/describe-value';
import { GPU_KINDS, presentBinaryPackages, type GpuKind } from '../gpu/binary-packages';
import { installGpu, type InstallProgress } from '../gpu/install';
import { inModelProcess } from '../model-process/client';
import type { GpuChoice } from '../model/llama-runtime';
import { progressPrinter } from './progress';
import { parseFlags } from './args';
import { CliUsageError } from './errors';
import { connectCliServer, describeHardware, readServer } from './complete';

const MB = 1024 * 1024;

/** `tokentree gpu status|install`: what the GPU path finds here, and adding a GPU binary package. */
export async function runGpu(argv: readonly string[]): Promise<string> {
  const [sub, ...rest] = argv;
  if (sub === 'status') {
    const f = parseFlags(rest, { json: 'bool', server: 'string' });
    const { server } = readServer(f);
    return server ? serverStatus(server, f.json === true) : status(f.json === true);
  }
  if (sub === 'install') {
    const [kind, ...flags] = rest;
    if (!GPU_KINDS.includes(kind as GpuKind)) throw new CliUsageError(`gpu install takes ${GPU_KINDS.join(' or ')} (got ${kind === undefined ? 'nothing' : quoteText(kind)})`);
    const f = parseFlags(flags, { json: 'bool', registry: 'string' });
    return install(kind as GpuKind, f.json === true, f.registry as string | undefined);
  }
  throw new CliUsageError(`gpu takes status or install (got ${sub === undefined ? 'nothing' : quoteText(sub)})`);
}

/** With a llama-server, the GPU is the server's: say which server and model answer there. */
async function serverStatus(url: string, json: boolean): Promise<string> {
  const backend = await connectCliServer(url);
  try {
    const info = backend.info;
    if (json) return JSON.stringify({ backend: 'server', server: info.server, contextSize: info.contextSize, vocabSize: info.vocabSize, fim: info.fim?.family ?? null });
    return [describeHardware(info), `context ${info.contextSize} tokens per slot · vocabulary ${info.vocabSize} · FIM ${info.fim?.family ?? 'none'}`].join('\n');
  } finally {
    await backend.dispose();
  }
}

async function status(json: boolean): Promise<string> {
  const probe = await inModelProcess((p) => p.probe('auto'));
  const report = { ...probe, packages: presentBinaryPackages() };
  if (json) return JSON.stringify(report);
  const vram = probe.vram ? ` · VRAM ${(probe.vram.used / MB).toFixed(0)} MB used of ${(probe.vram.total / MB).toFixed(0)} MB` : '';
  return [
    `compute layers found: ${probe.supported.join(', ')}`,
    `binary packages: ${report.packages.map((p) => `${p.name}@${p.version}`).join(', ') || 'none'}`,
    `a load gets: ${probe.backend}${probe.devices.length ? ` on ${probe.devices.join(', ')}` : ''}${vram}${probe.note ? ` (${probe.note})` : ''}`,
  ].join('\n');
}

/** Loads `kind` in a child process; fails when its binary cannot load on this machine. */
async function testLoad(kind: GpuKind): Promise<void> {
  await inModelProcess((p) => p.probe(kind as GpuChoice)).catch((err: Error) => {
    throw new Error(`the ${kind} binary was downloaded but does not load on this machine (${err.message.split('\n')[0]}); it was removed again`);
  });
}

async function install(kind: GpuKind, json: boolean, registry: string | undefined): Promise<string> {
  const printers = new Map<string, (received: number, total: number) => void>();
  const onProgress = (p: InstallProgress) => {
    if (!printers.has(p.package)) printers.set(p.package, progressPrinter(process.stderr, (done, total, percent) => `${p.package}: ${done} MB of ${total} MB (${percent}%)`));
    printers.get(p.package)!(p.receivedBytes, p.totalBytes ?? 0);
  };
  const result = await installGpu(kind, { registry, onProgress, testLoad });
  if (json) return JSON.stringify(result);
  if (result.installed.length === 0) return `${kind}: already installed (${result.present.join(', ')}@${result.version})`;
  return `${kind}: installed ${result.installed.join(', ')}@${result.version} (${(result.bytes / MB).toFixed(1)} MB), and it loads`;
}
