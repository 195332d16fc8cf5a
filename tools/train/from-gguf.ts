/**
 * The way back from a trained GGUF to the training run: so that training continues from the
 * committed model (its weights and its tokenizer) instead of starting over.
 *
 *   npx tsx tools/train/from-gguf.ts --gguf models/tokentree-code.gguf --out .cache/train/init
 *
 * Writes to --out:
 *   weights.f32 / weights.json   the tensors as float32, in the layout train.py's load_run reads
 *                                (F16 matrices widened exactly; F32 norms as stored)
 *   tokenizer.json               token texts and merges, for prepare.ts --tokenizer
 */
import { closeSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readGgufHeader } from '../../src/model/gguf-header';
import { fromFloat16Bits } from '../model/gguf-writer';

const GGML_F32 = 0;
const GGML_F16 = 1;

/** The shortest decimal that is the same float32: 1e-5 rather than 9.999999747378752e-6. */
function shortestF32(x: number): number {
    for (let digits = 6; digits < 9; digits++) {
        const d = Number(x.toPrecision(digits));
        if (Math.fround(d) === Math.fround(x)) return d;
    }
    return x;
}

function num(values: ReadonlyMap<string, { value: unknown }>, key: string): number {
    const v = values.get(key)?.value;
    if (typeof v !== 'number') throw new Error(`the file has no number ${key}`);
    return v;
}

export async function fromGguf(ggufPath: string, out: string): Promise<void> {
    mkdirSync(out, { recursive: true });
    const header = readGgufHeader(ggufPath);
    const v = header.values;
    if (v.get('general.architecture')?.value !== 'llama') throw new Error(`${ggufPath}: not a llama-architecture model`);
    const { readGgufFileInfo } = await import('node-llama-cpp');
    const info = await readGgufFileInfo(ggufPath, { readTensorInfo: false, sourceType: 'filesystem' });
    const g = info.metadata.tokenizer?.ggml as unknown as { tokens: string[]; merges: string[]; pre: string };
    const config = {
        vocab_size: g.tokens.length,
        n_embd: num(v, 'llama.embedding_length'),
        n_layer: num(v, 'llama.block_count'),
        n_head: num(v, 'llama.attention.head_count'),
        n_head_kv: num(v, 'llama.attention.head_count_kv'),
        n_ff: num(v, 'llama.feed_forward_length'),
        context: num(v, 'llama.context_length'),
        rope_base: shortestF32(num(v, 'llama.rope.freq_base')),
        rms_eps: shortestF32(num(v, 'llama.attention.layer_norm_rms_epsilon'))
    };
    const alignment = (v.get('general.alignment')?.value as number | undefined) ?? 32;
    const dataStart = Math.ceil(header.headerBytes / alignment) * alignment;
    const fd = openSync(ggufPath, 'r');
    const tensors: Array<{ name: string; shape: number[]; offset: number; count: number }> = [];
    const parts: Buffer[] = [];
    let offset = 0;
    try {
        for (const t of header.tensors) {
            const shape = t.dims.map(Number);
            const count = shape.reduce((a, b) => a * b, 1);
            const width = t.type === GGML_F16 ? 2 : t.type === GGML_F32 ? 4 : 0;
            if (width === 0) throw new Error(`${t.name}: ggml type ${t.type} (only F16 and F32 files are read back)`);
            const raw = Buffer.alloc(count * width);
            readSync(fd, raw, 0, raw.length, dataStart + Number(t.offset));
            const f32 = Buffer.alloc(count * 4);
            for (let i = 0; i < count; i++) f32.writeFloatLE(width === 2 ? fromFloat16Bits(raw.readUInt16LE(i * 2)) : raw.readFloatLE(i * 4), i * 4);
            parts.push(f32);
            tensors.push({ name: t.name, shape, offset, count });
            offset += count;
        }
    } finally {
        closeSync(fd);
    }
    writeFileSync(join(out, 'weights.f32'), Buffer.concat(parts));
    writeFileSync(join(out, 'weights.json'), JSON.stringify({ tensors, summary: { config, from: ggufPath } }, null, 1));
    writeFileSync(join(out, 'tokenizer.json'), JSON.stringify({ pre: g.pre, tokens: g.tokens, merges: g.merges }));
    console.log(`${ggufPath}: ${tensors.length} tensors, ${offset.toLocaleString('en')} weights, ${g.tokens.length} tokens → ${out}`);
}

function arg(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
    const gguf = arg('--gguf');
    const out = arg('--out');
    if (!gguf || !out) {
        console.error('usage: from-gguf.ts --gguf FILE --out DIR');
        process.exit(2);
    }
    fromGguf(resolve(gguf), resolve(out)).catch((e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    });
}
