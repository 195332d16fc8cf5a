/**
 * Builds models/tokentree-builtin.gguf, the project's own small code model.
 *
 *   npx tsx tools/model/build-builtin.ts [--out path] [--check]
 *
 * The output is a pure function of the corpus files (pinned by
 * package-lock.json) and the constants below; --check rebuilds in memory and
 * fails if the committed file differs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type CodeModel, type CodeModelOptions, buildCodeModel } from './code-model';
import { type Corpus, loadCorpus } from './corpus';
import { encodeGguf, str } from './gguf-writer';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const BUILTIN_MODEL_PATH = join(REPO_ROOT, 'models', 'tokentree-builtin.gguf');

/** Qwen2.5-Coder spellings, so FIM prompts for the built-in model look like a real model's. */
export const BUILTIN_SPECIALS: CodeModelOptions['specials'] = [
    { text: '<|endoftext|>', roles: ['eos', 'bos'] },
    { text: '<|fim_prefix|>', roles: ['fimPre'] },
    { text: '<|fim_middle|>', roles: ['fimMid'] },
    { text: '<|fim_suffix|>', roles: ['fimSuf'] },
    { text: '<|fim_pad|>', roles: ['fimPad'] },
    { text: '<|repo_name|>', roles: ['fimRep'] },
    { text: '<|file_sep|>', roles: ['fimSep'] }
];

export type BuiltinConfig = Pick<CodeModelOptions, 'vocabSize' | 'rank' | 'headCount' | 'feedForwardLength' | 'powerIterations'>;

export const BUILTIN_CONFIG: BuiltinConfig = {
    vocabSize: 4096,
    rank: 254, // n_embd 256
    headCount: 4,
    feedForwardLength: 64,
    powerIterations: 3
};

export function builtinOptions(corpus: Corpus, config: BuiltinConfig = BUILTIN_CONFIG): CodeModelOptions {
    return {
        ...config,
        documents: corpus.documents,
        specials: BUILTIN_SPECIALS,
        contextLength: 4096,
        name: 'TokenTree built-in bigram code model',
        fimMetadata: true,
        addBos: false,
        seed: 20240601,
        extraMetadata: [
            ['general.description', str('Bigram code model for tests and demos; weights are set analytically from corpus statistics.')],
            ['tokentree.corpus.sha256', str(corpus.sha256)],
            ['tokentree.corpus.sources', str(corpus.packages.map((p) => `${p.name}@${p.version} (${p.license}, ${p.files} files)`).join('; '))]
        ]
    };
}

export function buildBuiltin(nodeModules = join(REPO_ROOT, 'node_modules'), config?: BuiltinConfig): { model: CodeModel; bytes: Buffer; corpus: Corpus } {
    const corpus = loadCorpus(nodeModules);
    const model = buildCodeModel(builtinOptions(corpus, config));
    return { model, bytes: encodeGguf(model.file), corpus };
}

function main(argv: string[]): void {
    const outIdx = argv.indexOf('--out');
    const out = outIdx >= 0 ? resolve(argv[outIdx + 1]) : BUILTIN_MODEL_PATH;
    const started = Date.now();
    const { model, bytes, corpus } = buildBuiltin();
    const sha = createHash('sha256').update(bytes).digest('hex');
    const info = {
        corpus: corpus.packages,
        corpusSha256: corpus.sha256,
        vocab: model.tokens.length,
        merges: model.tokenizer.merges.length,
        ...model.stats,
        bytes: bytes.length,
        sha256: sha,
        seconds: (Date.now() - started) / 1000
    };
    console.log(JSON.stringify(info, null, 2));
    if (argv.includes('--check')) {
        const committed = existsSync(out) ? readFileSync(out) : Buffer.alloc(0);
        if (!committed.equals(bytes)) {
            console.error(`${out} differs from a fresh build (corpus or builder changed?)`);
            process.exit(1);
        }
        console.log(`${out} is up to date`);
        return;
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    console.log(`wrote ${out}`);
}

if (require.main === module) main(process.argv.slice(2));
