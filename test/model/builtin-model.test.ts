/**
 * The committed built-in model, checked through real llama.cpp (node-llama-cpp
 * prebuilt CPU binary): it loads, tokenizes exactly like the trainer, its
 * logits are the bigram table the builder factorised, and it writes code.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Llama, LlamaContext, LlamaModel, Token } from 'node-llama-cpp';
import { BpeTokenizer, tokenTextToBytes } from '../../tools/model/bpe';
import { BUILTIN_MODEL_PATH, REPO_ROOT, buildBuiltin } from '../../tools/model/build-builtin';
import { loadCorpus } from '../../tools/model/corpus';
import { fromFloat16Bits } from '../../tools/model/gguf-writer';
import { getCpuLlama, importNodeLlamaCpp } from '../support/test-models';

/** Next-token logits computed straight from the file's tensors, the way llama.cpp's graph does for this model. */
class FileBigram {
    readonly nEmbd: number;
    readonly vocab: number;
    private readonly embd: Float64Array;
    private readonly out: Float64Array;
    constructor(bytes: Buffer, tensors: ReadonlyArray<{ name: string; dimensions: readonly (number | bigint)[]; fileOffset: number | bigint }>, readonly eps: number) {
        const read = (name: string): Float64Array => {
            const t = tensors.find((x) => x.name === name);
            if (!t) throw new Error(`missing ${name}`);
            const n = t.dimensions.reduce<number>((a, b) => a * Number(b), 1);
            const base = Number(t.fileOffset);
            return Float64Array.from({ length: n }, (_, i) => fromFloat16Bits(bytes.readUInt16LE(base + 2 * i)));
        };
        const embd = tensors.find((x) => x.name === 'token_embd.weight');
        this.nEmbd = Number(embd?.dimensions[0]);
        this.vocab = Number(embd?.dimensions[1]);
        this.embd = read('token_embd.weight');
        this.out = read('output.weight');
        // The design relies on the block adding nothing to the residual stream.
        for (const name of ['blk.0.attn_output.weight', 'blk.0.ffn_down.weight']) assert.ok(read(name).every((x) => x === 0), `${name} is zero`);
    }
    logits(prev: number): Float64Array {
        const n = this.nEmbd;
        const x = this.embd.subarray(prev * n, (prev + 1) * n);
        let ss = 0;
        for (const v of x) ss += v * v;
        const scale = 1 / Math.sqrt(ss / n + this.eps); // RMSNorm; the norm weights are all ones
        const l = new Float64Array(this.vocab);
        for (let j = 0; j < this.vocab; j++) {
            let a = 0;
            for (let d = 0; d < n; d++) a += x[d] * this.out[j * n + d];
            l[j] = a * scale;
        }
        return l;
    }
    probabilities(prev: number): Float64Array {
        const l = this.logits(prev);
        const max = Math.max(...l);
        const p = l.map((v) => Math.exp(v - max));
        const z = p.reduce((a, b) => a + b, 0);
        return p.map((v) => v / z);
    }
}

describe('built-in model (models/tokentree-builtin.gguf) in llama.cpp', function () {
    this.timeout(60_000);
    let llama: Llama;
    let model: LlamaModel;
    let context: LlamaContext;
    let tokenizer: BpeTokenizer;
    let file: FileBigram;
    let tokens: string[];
    const special = (text: string): Token => tokens.indexOf(text) as Token;

    before(async () => {
        const { readGgufFileInfo } = await importNodeLlamaCpp();
        const info = await readGgufFileInfo(BUILTIN_MODEL_PATH, { logWarnings: false });
        const md = info.metadata as unknown as {
            tokenizer: { ggml: { tokens: string[]; merges: string[] } };
            llama: { attention: { layer_norm_rms_epsilon: number } };
        };
        tokens = md.tokenizer.ggml.tokens;
        // Rebuild the trainer's encoder from the file's own merges.
        const id = new Map(tokens.map((t, i) => [t, i]));
        tokenizer = new BpeTokenizer(md.tokenizer.ggml.merges.map((m) => m.split(' ').map((t) => id.get(t) ?? -1) as [number, number]));
        file = new FileBigram(readFileSync(BUILTIN_MODEL_PATH), info.tensorInfo ?? [], md.llama.attention.layer_norm_rms_epsilon);
        llama = await getCpuLlama();
        model = await llama.loadModel({ modelPath: BUILTIN_MODEL_PATH, gpuLayers: 0 });
        context = await model.createContext({ contextSize: 256, threads: 1 });
    });
    after(async () => {
        await context?.dispose();
        await model?.dispose();
    });

    it('has the llama metadata, tokenizer and special tokens the builder promises', async () => {
        const { readGgufFileInfo } = await importNodeLlamaCpp();
        const info = await readGgufFileInfo(BUILTIN_MODEL_PATH, { logWarnings: false });
        const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
        assert.equal(md.general.architecture, 'llama');
        assert.equal(md.general.file_type, 1);
        const eps = (md.llama.attention as { layer_norm_rms_epsilon: number }).layer_norm_rms_epsilon;
        assert.ok(Math.abs(eps - 1e-6) < 1e-12);
        assert.deepEqual(md.llama, {
            vocab_size: 4096,
            context_length: 4096,
            embedding_length: 256,
            block_count: 1,
            feed_forward_length: 64,
            attention: { head_count: 4, head_count_kv: 4, layer_norm_rms_epsilon: eps },
            rope: { dimension_count: 64, freq_base: 10000 }
        });
        const tok = md.tokenizer.ggml as Record<string, unknown>;
        assert.equal(tok.model, 'gpt2');
        assert.equal(tok.pre, 'qwen2');
        assert.equal((tok.tokens as string[]).length, 4096);
        assert.equal(tok.eos_token_id, special('<|endoftext|>'));
        assert.equal(tok.fim_pre_token_id, special('<|fim_prefix|>'));
        const types = tok.token_type as number[];
        for (const t of ['<|endoftext|>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>']) {
            assert.equal(types[special(t)], 3, `${t} is CONTROL`);
        }
        assert.equal(model.tokens.eos, special('<|endoftext|>'));
        assert.deepEqual([model.tokens.infill.prefix, model.tokens.infill.suffix, model.tokens.infill.middle], ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>'].map(special));
        const size = readFileSync(BUILTIN_MODEL_PATH).length;
        assert.ok(size > 1e6 && size < 8e6, `size ${size}`);
    });

    it('llama.cpp tokenizes exactly like the trainer and round-trips text', () => {
        const corpus = loadCorpus(join(REPO_ROOT, 'node_modules'));
        const samples = [
            'function add(a: number, b: number) {\n  return a + b; // it\'s 42\n}\n',
            'ünïcödé 😀 \u00a0 tabs\t\tand CRLF\r\n   trailing   \n\n\nDON\'T I\'LL 3.14159 0xFF `${x}`',
            '<|fim_prefix|> is plain text when special tokens are not parsed',
            ...corpus.documents.filter((_, i) => i % 40 === 0).map((d) => d.text.slice(0, 3000))
        ];
        for (const text of samples) {
            const ids = model.tokenize(text);
            assert.deepEqual([...ids], tokenizer.encode(text), `same ids for ${JSON.stringify(text.slice(0, 40))}`);
            assert.equal(model.detokenize(ids), text);
        }
        assert.deepEqual(model.tokenize('<|fim_middle|>', true), [special('<|fim_middle|>')]);
        assert.equal(tokenTextToBytes(tokens[model.tokenize('\n')[0]]).toString(), '\n');
    });

    it('computes the logits that the file encodes (bigram table through RMSNorm and the output head)', async () => {
        const sequence = context.getSequence();
        try {
            for (const prompt of ['  return', 'const x = ', 'import {', 'export']) {
                const ids = model.tokenize(prompt);
                const gen = sequence.evaluateWithMetadata(ids, { probabilities: true }, { temperature: 0 });
                const step = await gen.next();
                await gen.return();
                assert.ok(!step.done);
                const expected = file.probabilities(ids[ids.length - 1]);
                let maxDiff = 0;
                for (let j = 0; j < expected.length; j++) maxDiff = Math.max(maxDiff, Math.abs((step.value.probabilities.get(j as Token) ?? 0) - expected[j]));
                assert.ok(maxDiff < 2e-3, `max |Δp| ${maxDiff} for ${JSON.stringify(prompt)}`);
                await sequence.clearHistory();
            }
        } finally {
            sequence.dispose();
        }
    });

    it('greedily completes a function body with code', async () => {
        const sequence = context.getSequence();
        try {
            const prompt = model.tokenize('function add(a: number, b: number) {\n  return');
            const out: Token[] = [];
            for await (const t of sequence.evaluate(prompt, { temperature: 0 })) {
                out.push(t);
                if (out.length >= 24) break;
            }
            const text = model.detokenize(out);
            console.log(`      greedy: ${JSON.stringify(text)}`);
            // Each step must be the file's argmax (ties within float noise allowed).
            let prev = prompt[prompt.length - 1];
            for (const t of out) {
                const l = file.logits(prev);
                assert.ok(l[t] >= Math.max(...l) - 1e-2, `token ${t} is not the argmax after ${prev}`);
                prev = t;
            }
            assert.ok(/[A-Za-z_$][\w$]*/.test(text), 'contains an identifier');
            assert.ok(/[.;(){}=]/.test(text), 'contains code punctuation');
            assert.ok(/^[\x20-\x7e\n\t]*$/.test(text), 'printable ASCII only, no control-token text');
        } finally {
            sequence.dispose();
        }
    });

    it('puts code after <|fim_middle|>, can end a middle with EOS, and never emits prompt-only tokens', () => {
        const mid = file.probabilities(special('<|fim_middle|>'));
        const best = mid.indexOf(Math.max(...mid));
        assert.ok(best < special('<|endoftext|>'), `top token after <|fim_middle|> is ordinary text, got ${tokens[best]}`);
        const eos = special('<|endoftext|>');
        const lineEnd = file.probabilities(model.tokenize(';\n')[0]);
        assert.ok(lineEnd[eos] > 0.005 && lineEnd[eos] < 0.5, `P(EOS | ';\\n') = ${lineEnd[eos]}`);
        const atStart = file.probabilities(eos);
        assert.ok(atStart[eos] < 0.01, 'EOS is not followed by another EOS');
        for (const prev of [eos, special('<|fim_middle|>'), model.tokenize(' return')[0]]) {
            const p = file.probabilities(prev);
            for (const t of ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>']) {
                assert.ok(p[special(t)] < 1e-6, `P(${t}) = ${p[special(t)]}`);
            }
        }
    });
});

describe('built-in model builder', function () {
    this.timeout(60_000);
    it('produces identical bytes when run twice (small configuration)', () => {
        const config = { vocabSize: 512, rank: 30, headCount: 2, feedForwardLength: 16, powerIterations: 1 };
        const a = buildBuiltin(join(REPO_ROOT, 'node_modules'), config);
        const b = buildBuiltin(join(REPO_ROOT, 'node_modules'), config);
        assert.ok(a.bytes.equals(b.bytes));
        assert.equal(a.model.tokens.length, 512);
        assert.equal(a.model.file.tensors.find((t) => t.name === 'token_embd.weight')?.shape.join('x'), '32x512');
    });
});
