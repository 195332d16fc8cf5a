/**
 * Hyper-parameters llama.cpp asserts on (GGML_ASSERT aborts the whole process) checked before it
 * sees them: layer count against the file's blk.N tensors, attention head counts, feed-forward
 * length and the normalisation epsilon.
 */

import type { GgufHeader } from './gguf-header';

/**
 * Architectures whose hyper-parameters are checked in full (the FIM code-model families and
 * their relatives); for others only the layer count is compared with the tensors.
 */
export const CHECKED_ARCHITECTURES: ReadonlySet<string> = new Set([
  'llama', 'qwen2', 'qwen3', 'qwen2moe', 'qwen3moe', 'starcoder', 'starcoder2', 'granite', 'gemma', 'gemma2', 'gemma3',
  'deepseek', 'deepseek2', 'phi3', 'mistral3', 'codeshell', 'refact', 'stablelm',
]);

/** The first hyper-parameter llama.cpp would abort on, described; undefined when there is none. */
export function hyperparameterProblem(header: GgufHeader): string | undefined {
  const arch = header.values.get('general.architecture')?.value;
  if (typeof arch !== 'string') return 'it names no architecture (general.architecture)';
  const get = (key: string) => header.values.get(`${arch}.${key}`)?.value;
  const blocks = get('block_count');
  const layers = blockTensorLayers(header);
  if (blocks !== undefined) {
    if (typeof blocks !== 'number' && typeof blocks !== 'bigint') return `${arch}.block_count is not a number`;
    if (blocks < 1) return `${arch}.block_count is ${blocks}; a model has at least one layer`;
    if (layers > 0 && Number(blocks) !== layers) return `${arch}.block_count is ${blocks}, but the file has tensors for ${layers} layer${layers === 1 ? '' : 's'}`;
  }
  if (!CHECKED_ARCHITECTURES.has(arch)) return undefined;
  const heads = perLayer(get('attention.head_count'));
  const kvHeads = get('attention.head_count_kv') === undefined ? heads : perLayer(get('attention.head_count_kv'));
  if (heads === undefined) return `${arch}.attention.head_count is missing or not a number`;
  if (heads.some((h) => !(h >= 1))) return `${arch}.attention.head_count is ${show(heads)}; each layer needs at least one head`;
  if (kvHeads === undefined || kvHeads.some((h) => !(h >= 1))) return `${arch}.attention.head_count_kv is ${show(kvHeads)}; each layer needs at least one key-value head`;
  for (let i = 0; i < Math.max(heads.length, kvHeads.length); i++) {
    const h = heads[Math.min(i, heads.length - 1)]!;
    const kv = kvHeads[Math.min(i, kvHeads.length - 1)]!;
    if (h % kv !== 0) return `${arch}.attention.head_count ${h} is not a multiple of head_count_kv ${kv}`;
  }
  const ff = perLayer(get('feed_forward_length'));
  if (ff !== undefined && ff.every((f) => !(f >= 1))) return `${arch}.feed_forward_length is ${show(ff)}; it must be at least 1`;
  for (const key of ['attention.layer_norm_rms_epsilon', 'attention.layer_norm_epsilon']) {
    const eps = get(key);
    if (eps !== undefined && !(typeof eps === 'number' && Number.isFinite(eps) && eps > 0)) return `${arch}.${key} is ${String(eps)}; it must be a finite number above 0`;
  }
  return undefined;
}

/** Layers the tensors name (blk.N.*): the highest N plus one; 0 when none do. */
function blockTensorLayers(header: GgufHeader): number {
  let most = 0;
  for (const t of header.tensors) {
    const m = /^blk\.(\d+)\./.exec(t.name);
    if (m) most = Math.max(most, Number(m[1]) + 1);
  }
  return most;
}

/** A per-model or per-layer count as numbers; undefined when it is neither. */
function perLayer(v: unknown): number[] | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' || typeof x === 'bigint')) return v.map(Number);
  return undefined;
}

const show = (v: readonly number[] | undefined) => (v === undefined ? 'missing' : v.length === 1 ? String(v[0]) : `[${v.slice(0, 8).join(', ')}${v.length > 8 ? ', …' : ''}]`);
