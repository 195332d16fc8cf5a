/**
 * Packs a factorised bigram logit table into a one-block llama-architecture
 * GGUF that llama.cpp loads unchanged (tensor set: llama.cpp
 * src/models/llama.cpp load_arch_tensors; keys: src/llama-arch.cpp).
 *
 * The block is a pass-through: attention output and FFN down weights are
 * zero, so the residual stream that reaches output_norm is the token's own
 * embedding and the model is a bigram model. RMSNorm divides each row by its
 * RMS, so every embedding row is padded to the same norm √n_embd with one
 * extra dimension that the output matrix ignores; RMSNorm is then the
 * identity (up to ε) and logits = Q_i·C_j + bias_j exactly as factorised.
 */
import { type GgufFile, type GgufTensor, type GgufValue, bool, f32, fromFloat16Bits, i32Arr, str, strArr, toFloat16Bits, u32 } from './gguf-writer';
import type { Columns } from './lowrank';

/** llama_token_type values (llama.cpp include/llama.h). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export type SpecialRole = 'bos' | 'eos' | 'eot' | 'pad' | 'fimPre' | 'fimSuf' | 'fimMid' | 'fimPad' | 'fimRep' | 'fimSep';

/** GGUF keys for each role; llama.cpp also reads the deprecated prefix/suffix/middle keys. */
export const ROLE_KEYS: Record<SpecialRole, string> = {
    bos: 'tokenizer.ggml.bos_token_id',
    eos: 'tokenizer.ggml.eos_token_id',
    eot: 'tokenizer.ggml.eot_token_id',
    pad: 'tokenizer.ggml.padding_token_id',
    fimPre: 'tokenizer.ggml.fim_pre_token_id',
    fimSuf: 'tokenizer.ggml.fim_suf_token_id',
    fimMid: 'tokenizer.ggml.fim_mid_token_id',
    fimPad: 'tokenizer.ggml.fim_pad_token_id',
    fimRep: 'tokenizer.ggml.fim_rep_token_id',
    fimSep: 'tokenizer.ggml.fim_sep_token_id'
};
/** Older converters wrote only these (CodeLlama-era GGUFs). */
const LEGACY_FIM_KEYS: Partial<Record<SpecialRole, string>> = {
    eot: 'tokenizer.ggml.eot_token_id',
    fimPre: 'tokenizer.ggml.prefix_token_id',
    fimSuf: 'tokenizer.ggml.suffix_token_id',
    fimMid: 'tokenizer.ggml.middle_token_id'
};
/** Roles written only with fimMetadata, so fixtures can test llama.cpp's detection by token text. */
const FIM_ROLES: readonly SpecialRole[] = ['eot', 'fimPre', 'fimSuf', 'fimMid', 'fimPad', 'fimRep', 'fimSep'];

export interface TokenizerSpec {
    /** Token texts as stored in tokenizer.ggml.tokens. */
    readonly tokens: readonly string[];
    readonly tokenTypes: readonly number[];
    readonly merges: readonly string[];
    /** tokenizer.ggml.pre, e.g. "qwen2". */
    readonly pre: string;
    readonly roles: Partial<Record<SpecialRole, number>>;
    readonly addBos: boolean;
    /** Write the FIM (and EOT) role ids as metadata (true), with the deprecated key names ('legacy'), or not at all. */
    readonly fimMetadata: boolean | 'legacy';
}

export interface ArchSpec {
    readonly name: string;
    readonly contextLength: number;
    readonly headCount: number;
    readonly feedForwardLength: number;
    readonly rmsEps: number;
    /** Without it llama.cpp ties the output to token_embd (and the logits stop being the bigram table). */
    readonly outputHead: boolean;
    readonly extraMetadata?: ReadonlyArray<readonly [string, GgufValue]>;
}

export interface BigramFactors {
    /** V × k, embedding side. */
    readonly left: Columns;
    /** V × k, output side: logits_ij ≈ left_i · right_j + bias_j. */
    readonly right: Columns;
    readonly bias: Float64Array;
}

const roundF16 = (x: number): number => fromFloat16Bits(toFloat16Bits(x));

/** Embedding and output matrices (row-major, one row per token) implementing the factorisation. */
export function bigramWeights(f: BigramFactors, nEmbd: number): { embd: Float64Array; out: Float64Array } {
    const k = f.left.length;
    const vocab = f.bias.length;
    if (nEmbd !== k + 2) throw new Error(`n_embd must be rank + 2 (got ${nEmbd}, rank ${k})`);
    const target = Math.sqrt(nEmbd); // row norm that makes RMS = 1
    let maxNorm = 0;
    for (let i = 0; i < vocab; i++) {
        let s = 0;
        for (let d = 0; d < k; d++) s += f.left[d][i] * f.left[d][i];
        maxNorm = Math.max(maxNorm, Math.sqrt(s));
    }
    // Budget of the squared norm: 64% factor dims, 25% bias dim, rest padding.
    const alpha = maxNorm > 0 ? (0.8 * target) / maxNorm : 1;
    const gamma = 0.5 * target;
    const embd = new Float64Array(vocab * nEmbd);
    const out = new Float64Array(vocab * nEmbd);
    for (let i = 0; i < vocab; i++) {
        const row = i * nEmbd;
        let s = 0;
        for (let d = 0; d < k; d++) {
            const e = roundF16(alpha * f.left[d][i]);
            embd[row + d] = e;
            s += e * e;
            out[row + d] = f.right[d][i] / alpha;
        }
        const g = roundF16(gamma);
        embd[row + k] = g;
        s += g * g;
        // Padding is computed from the already-rounded values so the F16 row norm is right.
        embd[row + k + 1] = Math.sqrt(Math.max(0, nEmbd - s));
        out[row + k] = f.bias[i] / g;
        out[row + k + 1] = 0;
    }
    return { embd, out };
}

export function llamaGguf(tok: TokenizerSpec, factors: BigramFactors, arch: ArchSpec): GgufFile {
    const vocab = tok.tokens.length;
    const nEmbd = factors.left.length + 2;
    const headDim = nEmbd / arch.headCount;
    if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`n_embd ${nEmbd} not divisible into even heads of ${arch.headCount}`);
    if (factors.bias.length !== vocab || tok.tokenTypes.length !== vocab) throw new Error('vocab size mismatch');
    const nFf = arch.feedForwardLength;
    const { embd, out } = bigramWeights(factors, nEmbd);

    const metadata: Array<readonly [string, GgufValue]> = [
        ['general.architecture', str('llama')],
        ['general.type', str('model')],
        ['general.name', str(arch.name)],
        ['general.file_type', u32(1)], // LLAMA_FTYPE_MOSTLY_F16
        ['llama.vocab_size', u32(vocab)],
        ['llama.context_length', u32(arch.contextLength)],
        ['llama.embedding_length', u32(nEmbd)],
        ['llama.block_count', u32(1)],
        ['llama.feed_forward_length', u32(nFf)],
        ['llama.attention.head_count', u32(arch.headCount)],
        ['llama.attention.head_count_kv', u32(arch.headCount)],
        ['llama.attention.layer_norm_rms_epsilon', f32(arch.rmsEps)],
        ['llama.rope.dimension_count', u32(headDim)],
        ['llama.rope.freq_base', f32(10000)],
        ['tokenizer.ggml.model', str('gpt2')],
        ['tokenizer.ggml.pre', str(tok.pre)],
        ['tokenizer.ggml.tokens', strArr(tok.tokens)],
        ['tokenizer.ggml.token_type', i32Arr(tok.tokenTypes)],
        ['tokenizer.ggml.merges', strArr(tok.merges)]
    ];
    for (const role of ['bos', 'eos', 'pad'] as const) {
        const id = tok.roles[role];
        if (id !== undefined) metadata.push([ROLE_KEYS[role], u32(id)]);
    }
    if (tok.fimMetadata) {
        for (const role of FIM_ROLES) {
            const id = tok.roles[role];
            const key = tok.fimMetadata === 'legacy' ? LEGACY_FIM_KEYS[role] : ROLE_KEYS[role];
            if (id !== undefined && key) metadata.push([key, u32(id)]);
        }
    }
    metadata.push(['tokenizer.ggml.add_bos_token', bool(tok.addBos)], ['tokenizer.ggml.add_eos_token', bool(false)]);
    metadata.push(...(arch.extraMetadata ?? []));

    const ones = (n: number): Float64Array => new Float64Array(n).fill(1);
    const zeros = (n: number): Float64Array => new Float64Array(n);
    const tensors: GgufTensor[] = [
        { name: 'token_embd.weight', shape: [nEmbd, vocab], type: 'F16', data: embd },
        { name: 'blk.0.attn_norm.weight', shape: [nEmbd], type: 'F32', data: ones(nEmbd) },
        { name: 'blk.0.attn_q.weight', shape: [nEmbd, nEmbd], type: 'F16', data: zeros(nEmbd * nEmbd) },
        { name: 'blk.0.attn_k.weight', shape: [nEmbd, nEmbd], type: 'F16', data: zeros(nEmbd * nEmbd) },
        { name: 'blk.0.attn_v.weight', shape: [nEmbd, nEmbd], type: 'F16', data: zeros(nEmbd * nEmbd) },
        { name: 'blk.0.attn_output.weight', shape: [nEmbd, nEmbd], type: 'F16', data: zeros(nEmbd * nEmbd) },
        { name: 'blk.0.ffn_norm.weight', shape: [nEmbd], type: 'F32', data: ones(nEmbd) },
        { name: 'blk.0.ffn_gate.weight', shape: [nEmbd, nFf], type: 'F16', data: zeros(nEmbd * nFf) },
        { name: 'blk.0.ffn_up.weight', shape: [nEmbd, nFf], type: 'F16', data: zeros(nEmbd * nFf) },
        { name: 'blk.0.ffn_down.weight', shape: [nFf, nEmbd], type: 'F16', data: zeros(nFf * nEmbd) },
        { name: 'output_norm.weight', shape: [nEmbd], type: 'F32', data: ones(nEmbd) }
    ];
    if (arch.outputHead) tensors.push({ name: 'output.weight', shape: [nEmbd, vocab], type: 'F16', data: out });
    return { metadata, tensors, alignment: 32 };
}
