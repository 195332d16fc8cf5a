import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readGgufHeader } from '../../src/model/gguf-header';

/**
 * One header value of a GGUF changed in place, the way a bad conversion or a flipped byte would:
 * each of these made llama.cpp abort the process (GGML_ASSERT) or node-llama-cpp's reader loop
 * until memory ran out, before the header check.
 */
export const CORRUPTIONS = {
  'block count 1000': { key: 'block_count', value: 1000 },
  'head count 0': { key: 'attention.head_count', value: 0 },
  'KV head count 0': { key: 'attention.head_count_kv', value: 0 },
  'feed-forward length 0': { key: 'feed_forward_length', value: 0 },
  'NaN RMS epsilon': { key: 'attention.layer_norm_rms_epsilon', value: Number.NaN },
  'tensor count 100': { key: 'tensor count', value: 100 },
} as const;

export type CorruptionName = keyof typeof CORRUPTIONS;

/** Writes `source` with one value changed to `dir`, and returns the new file's path. */
export function writeCorruptModel(source: string, dir: string, name: CorruptionName): string {
  const bytes = readFileSync(source);
  const { key, value } = CORRUPTIONS[name];
  if (key === 'tensor count') {
    bytes.writeBigUInt64LE(BigInt(value), 8);
  } else {
    const header = readGgufHeader(source);
    const arch = header.values.get('general.architecture')?.value;
    const entry = header.values.get(`${String(arch)}.${key}`);
    if (!entry) throw new Error(`${source} has no ${String(arch)}.${key}`);
    if (entry.type === 4) bytes.writeUInt32LE(value, entry.offset);
    else if (entry.type === 6) bytes.writeFloatLE(value, entry.offset);
    else throw new Error(`${key} has GGUF type ${entry.type}, which this helper does not patch`);
  }
  const path = join(dir, `${name.replace(/\W+/g, '-')}.gguf`);
  writeFileSync(path, bytes);
  return path;
}
