/**
 * Export step of `npm run model:train`: raw float32 weights from train.py →
 * models/tokentree-code.gguf (llama architecture, F16 matrices, F32 norms),
 * written with the project's own GGUF writer, plus two small companions:
 *   models/tokentree-code.logprobs.json   torch log-probs at fixed inputs (test fixture)
 *   models/tokentree-code.training.json   configuration, data and training summary
 *
 *   npx tsx tools/train/export.ts [--data .cache/train] [--run .cache/train/run] [--out models/tokentree-code.gguf]
 *
 * No tensor is permuted or transposed: train.py's RoPE is ggml's NORM mode and
 * torch's (out, in) row-major matrices are GGUF tensors of ggml shape [in, out].
 */
import { ROLE_KEYS as LLAMA_ROLE_KEYS } from '../model/llama-gguf';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type GgufTensor, type GgufValue, bool, encodeGguf, f32, i32Arr, str, strArr, u32 } from '../model/gguf-writer';
import { TOKEN_TYPE } from '../model/llama-gguf';
import { REPO_ROOT } from './prepare';

export const TRAINED_MODEL_PATH = join(REPO_ROOT, 'models', 'tokentree-code.gguf');
export const TRAINED_FIXTURE_PATH = join(REPO_ROOT, 'models', 'tokentree-code.logprobs.json');
export const TRAINED_SUMMARY_PATH = join(REPO_ROOT, 'models', 'tokentree-code.training.json');

interface TokenizerFile {
    pre: string;
    tokens: string[];
    merges: string[];
    specials: Array<{ text: string; roles: string[] }>;
    roles: Record<string, number>;
}

interface WeightsFile {
    tensors: Array<{ name: string; shape: number[]; offset: number; count: number }>;
    summary: {
        config: { vocab_size: number; n_embd: number; n_layer: number; n_head: number; n_head_kv: number; n_ff: number; context: number; rope_base: number; rms_eps: number };
        params: number;
        tokens_trained: number;
        [k: string]: unknown;
    };
}

/** GGUF metadata keys per special-token role: the writer's own table. */
const ROLE_KEYS: Record<string, string> = LLAMA_ROLE_KEYS;

export function exportGguf(dataDir: string, runDir: string, outPath: string): { bytes: number; sha256: string } {
    const tok = JSON.parse(readFileSync(join(dataDir, 'tokenizer.json'), 'utf8')) as TokenizerFile;
    const data = JSON.parse(readFileSync(join(dataDir, 'data.json'), 'utf8')) as Record<string, unknown>;
    const w = JSON.parse(readFileSync(join(runDir, 'weights.json'), 'utf8')) as WeightsFile;
    const raw = readFileSync(join(runDir, 'weights.f32'));
    const floats = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const c = w.summary.config;
    if (c.vocab_size !== tok.tokens.length) throw new Error(`vocab ${c.vocab_size} != tokenizer ${tok.tokens.length}`);
    const headDim = c.n_embd / c.n_head;

    const specialIds = new Set(tok.specials.map((s) => tok.tokens.indexOf(s.text)));
    const tokenTypes = tok.tokens.map((_, i) => (specialIds.has(i) ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.NORMAL));
    const corpus = data.corpus as { packages: number };
    const train = data.train as { tokens: number; files: number; bytes: number };
    const metadata: Array<readonly [string, GgufValue]> = [
        ['general.architecture', str('llama')],
        ['general.type', str('model')],
        ['general.name', str('TokenTree code model (CPU-trained)')],
        ['general.description', str('Small decoder-only code model with fill-in-the-middle, trained from scratch on the CPU with torch on permissively licensed TypeScript/JavaScript from npm packages.')],
        ['general.file_type', u32(1)], // LLAMA_FTYPE_MOSTLY_F16
        ['llama.vocab_size', u32(c.vocab_size)],
        ['llama.context_length', u32(c.context)],
        ['llama.embedding_length', u32(c.n_embd)],
        ['llama.block_count', u32(c.n_layer)],
        ['llama.feed_forward_length', u32(c.n_ff)],
        ['llama.attention.head_count', u32(c.n_head)],
        ['llama.attention.head_count_kv', u32(c.n_head_kv)],
        ['llama.attention.layer_norm_rms_epsilon', f32(c.rms_eps)],
        ['llama.rope.dimension_count', u32(headDim)],
        ['llama.rope.freq_base', f32(c.rope_base)],
        ['tokenizer.ggml.model', str('gpt2')],
        ['tokenizer.ggml.pre', str(tok.pre)],
        ['tokenizer.ggml.tokens', strArr(tok.tokens)],
        ['tokenizer.ggml.token_type', i32Arr(tokenTypes)],
        ['tokenizer.ggml.merges', strArr(tok.merges)]
    ];
    for (const [role, key] of Object.entries(ROLE_KEYS)) {
        const id = tok.roles[role];
        if (id !== undefined) metadata.push([key, u32(id)]);
    }
    metadata.push(
        ['tokenizer.ggml.add_bos_token', bool(false)],
        ['tokenizer.ggml.add_eos_token', bool(false)],
        ['tokentree.corpus.sha256', str(String(data.corpusSha256))],
        ['tokentree.corpus.summary', str(`${train.files} files (${train.bytes} bytes, ${train.tokens} tokens) from ${corpus.packages} npm packages (MIT/Apache-2.0/BSD/ISC); see models/MODEL_CARD.md`)],
        ['tokentree.training.tokens', u32(w.summary.tokens_trained)],
        ['tokentree.training.seed', u32(Number(data.seed))]
    );

    const tensors: GgufTensor[] = w.tensors.map((t) => ({
        name: t.name,
        shape: t.shape,
        type: t.shape.length === 1 ? 'F32' : 'F16',
        data: floats.subarray(t.offset, t.offset + t.count)
    }));
    const bytes = encodeGguf({ metadata, tensors, alignment: 32 });
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, bytes);
    return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The test fixture: probe token ids and torch's top log-probs at their last positions (see probe.py). */
export function writeFixture(runDir: string, path: string): void {
    const probe = JSON.parse(readFileSync(join(runDir, 'probe.json'), 'utf8')) as Record<string, unknown>;
    const fixture = {
        description:
            'Next-token log-probs (nats) from the torch model with F16-rounded matrices, at the last positions of fixed token sequences (top 16 tokens each). ' +
            'probes: the model as trained (ggml NORM RoPE pairing, 2i with 2i+1), which llama.cpp must reproduce. ' +
            'controlRotateHalf: the same weights with Hugging Face rotate_half pairing (i with i+d/2), which llama.cpp must NOT reproduce.',
        ...probe
    };
    writeFileSync(path, `${JSON.stringify(fixture)}\n`);
}

export function writeSummary(dataDir: string, runDir: string, path: string, file: { bytes: number; sha256: string }, extra: Record<string, unknown> = {}): void {
    const data = JSON.parse(readFileSync(join(dataDir, 'data.json'), 'utf8')) as Record<string, unknown>;
    const w = JSON.parse(readFileSync(join(runDir, 'weights.json'), 'utf8')) as WeightsFile;
    const { packages, corpus, ...dataRest } = data as { packages: Array<{ name: string; version: string; license: string; dir: string; files: number; bytes: number; usedFiles: number }>; corpus: Record<string, unknown> };
    const out = {
        file: { path: `models/${basename(path).replace(/\.training\.json$/, '.gguf')}`, ...file },
        training: withLineage(w.summary),
        data: { ...dataRest, corpus },
        // Every package the corpus drew on: files/bytes after filtering and the per-package cap;
        // tokenizedFiles: how many of them are in the shuffled text that was tokenized into rows.
        packages: packages.map((p) => ({ package: `${p.name}@${p.version}`, license: p.license, dir: p.dir, files: p.files, bytes: p.bytes, tokenizedFiles: p.usedFiles })),
        ...extra
    };
    writeFileSync(path, `${JSON.stringify(out, null, 1)}\n`);
}

/**
 * A run that continued a trained model records that model's own training record (its companion
 * `.training.json`, when it is beside the GGUF), so the file says everything its weights went through.
 */
function withLineage(summary: WeightsFile['summary']): WeightsFile['summary'] {
    const from = (summary.continued_from as { from?: string } | null | undefined)?.from;
    if (!from) return summary;
    const companion = from.replace(/\.gguf$/, '.training.json');
    if (!existsSync(companion)) return summary;
    const previous = JSON.parse(readFileSync(companion, 'utf8')) as { file?: unknown; training?: unknown; wallSeconds?: unknown };
    return { ...summary, continued_from: { from: basename(from), file: previous.file, training: previous.training, wallSeconds: previous.wallSeconds } };
}

function arg(argv: string[], name: string): string | undefined {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const dataDir = resolve(arg(argv, '--data') ?? join(REPO_ROOT, '.cache', 'train'));
    const runDir = resolve(arg(argv, '--run') ?? join(dataDir, 'run'));
    const out = resolve(arg(argv, '--out') ?? TRAINED_MODEL_PATH);
    const file = exportGguf(dataDir, runDir, out);
    const fixture = out === TRAINED_MODEL_PATH ? TRAINED_FIXTURE_PATH : out.replace(/\.gguf$/, '.logprobs.json');
    const summary = out === TRAINED_MODEL_PATH ? TRAINED_SUMMARY_PATH : out.replace(/\.gguf$/, '.training.json');
    writeFixture(runDir, fixture);
    writeSummary(dataDir, runDir, summary, file);
    console.log(JSON.stringify({ out, ...file, fixture, summary }));
}
