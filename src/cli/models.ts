import type { GpuChoice } from '../model/llama-runtime';
import { inModelProcess } from '../model-process/client';
import { MODEL_PRESETS } from '../models/presets';
import { parseFlags } from './args';
import { CliUsageError } from './errors';

const GB = 1e9;

/**
 * `tokentree models [--json] [--cpu] [--timeout-ms N]`: the presets, each with the memory it needs
 * and whether that fits this machine (fit.ts), checked in a model process.
 */
export async function runModels(argv: readonly string[]): Promise<string> {
  const f = parseFlags(argv, { json: 'bool', cpu: 'bool', 'timeout-ms': 'int' });
  const timeoutMs = Number(f['timeout-ms'] ?? 5000);
  if (timeoutMs < 100 || timeoutMs > 600_000) throw new CliUsageError(`--timeout-ms must be from 100 to 600000 (got ${timeoutMs})`);
  const gpu: GpuChoice = f.cpu === true ? false : 'auto';
  const { budget, fits } = await inModelProcess((p) => p.fit(gpu, MODEL_PRESETS.map((m) => ({ uri: m.uri, sizeBytes: m.sizeBytes })), timeoutMs));
  const rows = MODEL_PRESETS.map((preset, i) => ({ ...preset, ...fits[i]! }));
  if (f.json === true) return JSON.stringify({ budget, models: rows });
  const gb = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;
  const lines = rows.map((m) => `${m.id.padEnd(22)} ${gb(m.sizeBytes).padStart(8)}  needs ${gb(m.neededBytes).padStart(8)}${m.basis === 'file size' ? '*' : ' '}  ${m.verdict.padEnd(9)}  ${m.name}: ${m.note}`);
  const estimated = rows.some((m) => m.basis === 'file size')
    ? ['* estimated from the file size: the header could not be read (offline?)']
    : [];
  return [`this machine: ${gb(budget.totalBytes)} ${budget.kind}`, ...lines, ...estimated, 'tokentree pull <id> downloads one'].join('\n');
}
