/**
 * Tiny GGUF fixtures for backend tests: a real (if silly) llama model of a
 * few hundred tokens whose special tokens are spelled exactly like a given
 * code-model family's, so FIM/EOS detection can be tested per family without
 * downloading anything. Writing one takes a few milliseconds.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BUILTIN_SPECIALS } from '../../tools/model/build-builtin';
import { type SpecialToken, buildCodeModel } from '../../tools/model/code-model';
import { type GgufValue, encodeGguf } from '../../tools/model/gguf-writer';
import type { SpecialRole } from '../../tools/model/llama-gguf';

export type FimFamily = 'qwen' | 'deepseek' | 'codellama' | 'starcoder' | 'codestral' | 'none';

export interface FamilySpec {
    readonly specials: readonly SpecialToken[];
    readonly addBos: boolean;
    /**
     * Whether llama.cpp (src/llama-vocab.cpp, "auto-detect special tokens by
     * text") finds the FIM prefix/suffix/middle tokens without metadata ids.
     */
    readonly fimDetectedByText: boolean;
}

export const FIM_FAMILIES: Readonly<Record<FimFamily, FamilySpec>> = {
    // Qwen2.5-Coder
    qwen: {
        specials: BUILTIN_SPECIALS,
        addBos: false,
        fimDetectedByText: true
    },
    // DeepSeek-Coder: fullwidth vertical bars (U+FF5C) and U+2581 as the word separator
    deepseek: {
        specials: [
            { text: '<｜begin▁of▁sentence｜>', roles: ['bos'] },
            { text: '<｜end▁of▁sentence｜>', roles: ['eos'] },
            { text: '<｜fim▁hole｜>', roles: ['fimSuf'] },
            { text: '<｜fim▁begin｜>', roles: ['fimPre'] },
            { text: '<｜fim▁end｜>', roles: ['fimMid'] }
        ],
        addBos: true,
        fimDetectedByText: true
    },
    // CodeLlama: SentencePiece pieces with a leading U+2581. llama.cpp matches
    // "▁<PRE>"/"▁<SUF>"/"▁<MID>" by text but not "▁<EOT>" (it looks for "<EOT>"
    // and "_<EOT>"), so EOT is only known with metadata ids.
    codellama: {
        specials: [
            { text: '<s>', roles: ['bos'] },
            { text: '</s>', roles: ['eos'] },
            { text: '▁<PRE>', roles: ['fimPre'] },
            { text: '▁<SUF>', roles: ['fimSuf'] },
            { text: '▁<MID>', roles: ['fimMid'] },
            { text: '▁<EOT>', roles: ['eot'] }
        ],
        addBos: true,
        fimDetectedByText: true
    },
    // StarCoder / StarCoder2 / Granite spelling
    starcoder: {
        specials: [
            { text: '<|endoftext|>', roles: ['eos', 'bos'] },
            { text: '<fim_prefix>', roles: ['fimPre'] },
            { text: '<fim_middle>', roles: ['fimMid'] },
            { text: '<fim_suffix>', roles: ['fimSuf'] },
            { text: '<fim_pad>', roles: ['fimPad'] }
        ],
        addBos: false,
        fimDetectedByText: true
    },
    // Codestral (Mistral): llama.cpp has no text rule for these, only metadata.
    codestral: {
        specials: [
            { text: '<s>', roles: ['bos'] },
            { text: '</s>', roles: ['eos'] },
            { text: '[PREFIX]', roles: ['fimPre'] },
            { text: '[SUFFIX]', roles: ['fimSuf'] },
            { text: '[MIDDLE]', roles: ['fimMid'] }
        ],
        addBos: true,
        fimDetectedByText: false
    },
    none: {
        specials: [{ text: '<|endoftext|>', roles: ['eos', 'bos'] }],
        addBos: false,
        fimDetectedByText: false
    }
};

export interface TestModelOptions {
    readonly fim: FimFamily;
    /** Also write tokenizer.ggml.fim_*_token_id (and eot) metadata; 'legacy' uses prefix/suffix/middle_token_id. */
    readonly withMetadataIds?: boolean | 'legacy';
    /** Leave out output.weight so llama.cpp ties the output to token_embd. */
    readonly noOutputHead?: boolean;
    readonly contextLength?: number;
    readonly name?: string;
    readonly extraMetadata?: ReadonlyArray<readonly [string, GgufValue]>;
    /** Training text (FIXTURE_CORPUS by default). */
    readonly corpus?: string;
}

export interface TestModelInfo {
    readonly path: string;
    readonly bytes: number;
    /** All token texts, in id order. */
    readonly tokens: readonly string[];
    /** Ids of the family's special tokens by role. */
    readonly ids: Readonly<Partial<Record<SpecialRole, number>>>;
    readonly family: FamilySpec;
}

/** Training text for fixtures: enough code for a few dozen merges and sensible bigrams. */
export const FIXTURE_CORPUS = `export function add(a: number, b: number): number {
    return a + b;
}

export function sum(values: number[]): number {
    let total = 0;
    for (const value of values) {
        total = add(total, value);
    }
    return total;
}

export class Counter {
    private count = 0;

    public increment(): number {
        this.count += 1;
        return this.count;
    }
}

const counter = new Counter();
console.log(sum([1, 2, 3]), counter.increment());
`;

/** Write a tiny llama GGUF with the given family's special tokens; returns what was written. */
export function writeTestModel(path: string, opts: TestModelOptions): TestModelInfo {
    const family = FIM_FAMILIES[opts.fim];
    const model = buildCodeModel({
        documents: [{ text: opts.corpus ?? FIXTURE_CORPUS }],
        vocabSize: 320,
        specials: family.specials,
        rank: 14, // n_embd 16
        headCount: 2,
        feedForwardLength: 16,
        contextLength: opts.contextLength ?? 256,
        name: opts.name ?? `tokentree-test-${opts.fim}`,
        fimMetadata: opts.withMetadataIds ?? false,
        addBos: family.addBos,
        outputHead: !(opts.noOutputHead ?? false),
        fimEvery: 2,
        extraMetadata: opts.extraMetadata
    });
    const bytes = encodeGguf(model.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    return { path, bytes: bytes.length, tokens: model.tokens, ids: model.roles, family };
}

/** Copy the first keepBytes bytes of a file (default: half), e.g. a model cut off mid-download. */
export function writeTruncatedCopy(src: string, dst: string, keepBytes?: number): void {
    const data = readFileSync(src);
    const n = keepBytes ?? Math.floor(data.length / 2);
    mkdirSync(dirname(dst), { recursive: true });
    writeFileSync(dst, data.subarray(0, Math.min(n, data.length)));
}

/** Write a file that is not GGUF at all (wrong magic), for bad-input tests. */
export function writeNotGguf(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'This is a plain text file, not a GGUF model.\n'.repeat(64));
}

type NodeLlamaCpp = typeof import('node-llama-cpp');
let llamaPromise: Promise<import('node-llama-cpp').Llama> | undefined;

/** node-llama-cpp is ESM-only, and these files are compiled to CommonJS, so it is loaded lazily. */
export function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
    return import('node-llama-cpp');
}

/**
 * One shared CPU-only llama.cpp instance for tests (never builds from source).
 * Contexts should be created with threads: 1; on small machines the default
 * thread count is dramatically slower for tiny models.
 */
export function getCpuLlama(): Promise<import('node-llama-cpp').Llama> {
    llamaPromise ??= importNodeLlamaCpp().then((m) => m.getLlama({ gpu: false, build: 'never', logLevel: m.LlamaLogLevel.error }));
    return llamaPromise;
}
