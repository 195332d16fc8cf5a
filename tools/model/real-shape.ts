/**
 * A random-weight GGUF with a real code model's shape and vocabulary, for measuring what
 * scales with prompt length, vocabulary and width (no real weights can be downloaded here).
 * Qwen2.5-Coder-0.5B's architecture (qwen2: 896 wide, 24 layers, 14 heads, 2 KV heads,
 * FFN 4864, tied output) at Q8_0, with the qwen2 vocabulary from llama.cpp's
 * models/ggml-vocab-qwen2.gguf (taken from the llama.cpp source node-llama-cpp ships) and
 * Qwen2.5-Coder's added tokens, FIM and repository markers among them, in its padding slots.
 *
 *   npx tsx tools/model/real-shape.ts [--out PATH] [--light]
 *
 * `--light` writes Qwen2.5-Coder's vocabulary on 1 layer 64 wide instead (QWEN_VOCAB_LIGHT).
 *
 * Costs are the real model's; the text it writes is noise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRng } from '../../src/decoding/rng';
import { bool, encodeGguf, f32, type GgufTensor, type GgufValue, i32Arr, str, strArr, u32 } from './gguf-writer';
import { TOKEN_TYPE } from './llama-gguf';

const REPO_ROOT = resolve(__dirname, '..', '..');
export const REAL_SHAPE_MODEL_PATH = join(REPO_ROOT, '.cache', 'models', 'random-qwen2.5-coder-0.5b-shape-q8_0.v1.gguf');

/** Qwen2.5-Coder-0.5B (config.json of the released model). */
export const QWEN25_CODER_05B = { embd: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, context: 32768, ropeBase: 1e6, rmsEps: 1e-6 };
export type ModelShape = typeof QWEN25_CODER_05B;
/**
 * Qwen2.5-Coder's vocabulary with almost no compute (1 layer, 64 wide): a step's time is the work
 * that scales with the vocabulary, on the host, which is what a batched step costs on a GPU.
 */
export const QWEN_VOCAB_LIGHT: ModelShape = { embd: 64, layers: 1, heads: 2, kvHeads: 2, ffn: 128, context: 32768, ropeBase: 1e6, rmsEps: 1e-6 };
export const VOCAB_HEAVY_MODEL_PATH = join(REPO_ROOT, '.cache', 'models', 'random-qwen2.5-coder-vocab-1x64-q8_0.v1.gguf');

/** Qwen2.5-Coder's added tokens from id 151646 (its tokenizer.json), FIM and repository markers included. */
const ADDED_TOKENS = [
  '<|object_ref_start|>', '<|object_ref_end|>', '<|box_start|>', '<|box_end|>', '<|quad_start|>', '<|quad_end|>',
  '<|vision_start|>', '<|vision_end|>', '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>', '<tool_call>', '</tool_call>',
  '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>',
];
const FIRST_ADDED = 151646;
const ENDOFTEXT = 151643;

/** llama.cpp's qwen2 vocabulary file, read out of the git bundle inside node-llama-cpp. */
function qwen2VocabFile(): string {
  return llamaVocabFile('qwen2');
}

/** One of llama.cpp's vocabulary-only test files (models/ggml-vocab-NAME.gguf), read out of the git bundle inside node-llama-cpp. */
export function llamaVocabFile(name: string): string {
  const out = join(dirname(REAL_SHAPE_MODEL_PATH), `ggml-vocab-${name}.gguf`);
  if (existsSync(out)) return out;
  const bundle = join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm install`);
  const git = mkdtempSync(join(tmpdir(), 'tokentree-llama-src-'));
  try {
    execFileSync('git', ['init', '-q', git]);
    execFileSync('git', ['-C', git, 'fetch', '-q', bundle, 'HEAD']);
    const bytes = execFileSync('git', ['-C', git, 'show', `FETCH_HEAD:models/ggml-vocab-${name}.gguf`], { maxBuffer: 64 << 20 });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    return out;
  } finally {
    rmSync(git, { recursive: true, force: true });
  }
}

interface QwenVocab {
  readonly tokens: string[];
  readonly types: number[];
  readonly merges: string[];
  readonly pre: string;
}

async function readVocab(path: string): Promise<QwenVocab> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(path, { readTensorInfo: false });
  const g = info.metadata.tokenizer?.ggml as unknown as { tokens: string[]; token_type: number[]; merges: string[]; pre: string };
  const tokens = [...g.tokens];
  const types = [...g.token_type];
  ADDED_TOKENS.forEach((text, i) => {
    if (!tokens[FIRST_ADDED + i]?.startsWith('[PAD')) throw new Error(`${path}: id ${FIRST_ADDED + i} is not a padding slot`);
    tokens[FIRST_ADDED + i] = text;
    types[FIRST_ADDED + i] = text.startsWith('<|') ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
  });
  return { tokens, types, merges: [...g.merges], pre: g.pre };
}

/** Uniform weights with standard deviation 0.02 (a common initialisation scale). */
function randomWeights(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  const scale = 0.02 * Math.sqrt(3);
  for (let i = 0; i < n; i++) out[i] = (rng() * 2 - 1) * scale;
  return out;
}

/** Weights whose values do not matter for speed, only that they are neither zeros nor denormals. */
class WeightPool {
  private readonly pool: Float32Array;
  constructor(size: number, seed: number) {
    this.pool = randomWeights(size, seed);
  }

  /** A view at a per-tensor offset: different tensors get different (overlapping) windows. */
  view(n: number, salt: number): Float32Array {
    const offset = (salt * 7919) % (this.pool.length - n);
    return this.pool.subarray(offset, offset + n);
  }

  filled(n: number, value: number): Float32Array {
    return new Float32Array(n).fill(value);
  }
}

export async function writeRealShapeModel(out = REAL_SHAPE_MODEL_PATH, s: ModelShape = QWEN25_CODER_05B): Promise<string> {
  const vocab = await readVocab(qwen2VocabFile());
  const headDim = s.embd / s.heads;
  const kv = headDim * s.kvHeads;
  const pool = new WeightPool(2 * s.ffn * s.embd + 7919, 1234);
  const embedding = randomWeights(vocab.tokens.length * s.embd, 4321);
  const metadata: [string, GgufValue][] = [
    ['general.architecture', str('qwen2')],
    ['general.type', str('model')],
    ['general.name', str(s === QWEN25_CODER_05B ? 'random-weight Qwen2.5-Coder-0.5B shape (TokenTree benchmarks)' : `random-weight Qwen2.5-Coder vocabulary, ${s.layers} layer(s) ${s.embd} wide (TokenTree benchmarks)`)],
    ['general.file_type', u32(7)], // LLAMA_FTYPE_MOSTLY_Q8_0
    ['qwen2.context_length', u32(s.context)],
    ['qwen2.embedding_length', u32(s.embd)],
    ['qwen2.block_count', u32(s.layers)],
    ['qwen2.feed_forward_length', u32(s.ffn)],
    ['qwen2.attention.head_count', u32(s.heads)],
    ['qwen2.attention.head_count_kv', u32(s.kvHeads)],
    ['qwen2.rope.freq_base', f32(s.ropeBase)],
    ['qwen2.attention.layer_norm_rms_epsilon', f32(s.rmsEps)],
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(vocab.pre)],
    ['tokenizer.ggml.tokens', strArr(vocab.tokens)],
    ['tokenizer.ggml.token_type', i32Arr(vocab.types)],
    ['tokenizer.ggml.merges', strArr(vocab.merges)],
    ['tokenizer.ggml.bos_token_id', u32(ENDOFTEXT)],
    ['tokenizer.ggml.eos_token_id', u32(ENDOFTEXT)],
    ['tokenizer.ggml.padding_token_id', u32(ENDOFTEXT)],
    ['tokenizer.ggml.add_bos_token', bool(false)],
  ];
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', shape: [s.embd, vocab.tokens.length], type: 'Q8_0', data: embedding },
    { name: 'output_norm.weight', shape: [s.embd], type: 'F32', data: pool.filled(s.embd, 1) },
  ];
  for (let l = 0; l < s.layers; l++) {
    const p = `blk.${l}.`;
    const salt = (j: number) => l * 1000003 + j;
    tensors.push(
      { name: `${p}attn_norm.weight`, shape: [s.embd], type: 'F32', data: pool.filled(s.embd, 1) },
      { name: `${p}attn_q.weight`, shape: [s.embd, s.embd], type: 'Q8_0', data: pool.view(s.embd * s.embd, salt(0)) },
      { name: `${p}attn_q.bias`, shape: [s.embd], type: 'F32', data: pool.view(s.embd, salt(10)) },
      { name: `${p}attn_k.weight`, shape: [s.embd, kv], type: 'Q8_0', data: pool.view(s.embd * kv, salt(1)) },
      { name: `${p}attn_k.bias`, shape: [kv], type: 'F32', data: pool.view(kv, salt(11)) },
      { name: `${p}attn_v.weight`, shape: [s.embd, kv], type: 'Q8_0', data: pool.view(s.embd * kv, salt(2)) },
      { name: `${p}attn_v.bias`, shape: [kv], type: 'F32', data: pool.view(kv, salt(12)) },
      { name: `${p}attn_output.weight`, shape: [s.embd, s.embd], type: 'Q8_0', data: pool.view(s.embd * s.embd, salt(3)) },
      { name: `${p}ffn_norm.weight`, shape: [s.embd], type: 'F32', data: pool.filled(s.embd, 1) },
      { name: `${p}ffn_gate.weight`, shape: [s.embd, s.ffn], type: 'Q8_0', data: pool.view(s.embd * s.ffn, salt(4)) },
      { name: `${p}ffn_up.weight`, shape: [s.embd, s.ffn], type: 'Q8_0', data: pool.view(s.embd * s.ffn, salt(5)) },
      { name: `${p}ffn_down.weight`, shape: [s.ffn, s.embd], type: 'Q8_0', data: pool.view(s.ffn * s.embd, salt(6)) },
    );
  }
  const bytes = encodeGguf({ metadata, tensors, alignment: 32 });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.partial`, bytes);
  renameSync(`${out}.partial`, out);
  return out;
}

/** The cached model, written on first use (about half a GB). */
export async function realShapeModel(): Promise<string> {
  return existsSync(REAL_SHAPE_MODEL_PATH) ? REAL_SHAPE_MODEL_PATH : writeRealShapeModel();
}

/** The vocabulary-heavy, compute-light model, written on first use (about 10 MB). */
export async function vocabHeavyModel(): Promise<string> {
  return existsSync(VOCAB_HEAVY_MODEL_PATH) ? VOCAB_HEAVY_MODEL_PATH : writeRealShapeModel(VOCAB_HEAVY_MODEL_PATH, QWEN_VOCAB_LIGHT);
}

// Run as a script (not when bundled into a benchmark, where require.main is the bundle).
if (require.main === module && /real-shape\.[cm]?[tj]s$/.test(process.argv[1] ?? '')) {
  const i = process.argv.indexOf('--out');
  const t0 = performance.now();
  const light = process.argv.includes('--light');
  writeRealShapeModel(i >= 0 ? resolve(process.argv[i + 1]!) : light ? VOCAB_HEAVY_MODEL_PATH : undefined, light ? QWEN_VOCAB_LIGHT : QWEN25_CODER_05B)
    .then((path) => console.log(`wrote ${path} in ${((performance.now() - t0) / 1000).toFixed(1)} s`))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
