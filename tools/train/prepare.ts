/**
 * Data step of `npm run model:train`: corpus → byte-level BPE (qwen2
 * pre-tokenizer, 8192 tokens with Qwen2.5-Coder special tokens) → training
 * rows for tools/train/train.py.
 *
 *   npx tsx tools/train/prepare.ts [--out .cache/train] [--seed N] [--train-bytes 14000000] [--per-package-bytes 400000]
 *                                  [--context 256] [--repo-rate 0]
 *
 * Output directory:
 *   tokenizer.json            token texts, merges, special ids
 *   train.u16 / val.u16       rows of context+1 uint16 tokens (65535 = padding, no loss)
 *   heldout-plain.u16         held-out packages, plain files
 *   heldout-fim.u16 (+ .mask) held-out packages as FIM examples; mask = 1 where the target is middle/EOS
 *   probe.json                fixed token ids whose log-probs the export stores as a test fixture
 *   data.json                 what was written, corpus statistics, packages and licences
 *
 * Rows: plain files are concatenated with <|endoftext|> between them and cut
 * into windows of context+1 tokens at stride context. FIM files are cut into
 * line-aligned chunks; each chunk becomes one prefix-suffix-middle example
 *   <|fim_prefix|> pre <|fim_suffix|> suf <|fim_middle|> mid <|endoftext|>
 * split at random points (see fimSplit), and whole examples are packed into
 * rows (first fit), the rest of a row padded and masked. With --repo-rate, that share of
 * FIM examples starts with other files of the package in the repository format (repo-rows.ts).
 */
import { createRng, shuffle } from '../../src/decoding/rng';
import { BUILTIN_SPECIALS } from '../model/build-builtin';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BpeTokenizer, trainBpe } from '../model/bpe';
import { PRE_TOKENIZER, preTokenize } from '../model/pretokenize';
import { type CorpusFile, HELDOUT_PACKAGES, loadTrainingCorpus } from './corpus';
import { fetchRegistryPackages } from './registry';
import { RepoRows } from './repo-rows';

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Tokens per training row (the model's context); --context changes it. */
export const CONTEXT = 256;
export const ROW = CONTEXT + 1;
export const PAD = 0xffff;
export const VOCAB_SIZE = 8192;

/** Qwen2.5-Coder spellings and order, shared with the constructed model; appended after the BPE tokens. */
export const SPECIALS = BUILTIN_SPECIALS;

/** The engine's seeded RNG (mulberry32: 32-bit integer arithmetic only). */
export const rng = createRng;

export interface Specials {
    readonly eos: number;
    readonly fimPre: number;
    readonly fimMid: number;
    readonly fimSuf: number;
}

/** Never split a UTF-16 surrogate pair. */
function boundary(text: string, i: number): number {
    if (i > 0 && i < text.length) {
        const c = text.charCodeAt(i);
        if (c >= 0xdc00 && c <= 0xdfff) return i - 1;
    }
    return i;
}

/** Line-aligned chunks of roughly 200-900 characters. */
function chunks(text: string, rand: () => number): string[] {
    const out: string[] = [];
    let start = 0;
    while (start < text.length) {
        const target = 200 + Math.floor(rand() * 700);
        let end = text.indexOf('\n', start + target);
        end = end < 0 ? text.length : end + 1;
        out.push(text.slice(start, end));
        start = end;
    }
    return out;
}

export interface FimExample {
    readonly tokens: number[];
    /** Index in `tokens` where the middle starts (the token after <|fim_middle|>). */
    readonly middleStart: number;
}

/** End of the line containing position p (the index of its newline, or the text's end). */
function lineEnd(text: string, p: number): number {
    const k = text.indexOf('\n', p);
    return k < 0 ? text.length : k;
}

/**
 * Random split points (start i < end j of the middle; the middle is never empty).
 * The start is a random pre-token boundary 70 % of the time (the prompt's tokens
 * then end exactly as the text's do) and a uniformly random character otherwise
 * (the cursor can be anywhere: mid-word, after a space). The end is the end of
 * the start's line half of the time (an editor completion that finishes the line:
 * the suffix starts with its newline), the end of a line 1-3 lines further a
 * quarter of the time, and a uniformly random later position otherwise; an empty
 * middle (start at a line end) is extended to the end of the next line.
 */
export function fimSplit(text: string, rand: () => number): [number, number] {
    if (text.length === 0) return [0, 0];
    let i: number;
    if (rand() < 0.3) i = boundary(text, Math.floor(rand() * text.length));
    else {
        const words = preTokenize(text);
        const w = Math.floor(rand() * words.length);
        i = 0;
        for (let k = 0; k < w; k++) i += words[k].length;
    }
    const r = rand();
    let j: number;
    if (r < 0.5) j = lineEnd(text, i);
    else if (r < 0.75) {
        j = lineEnd(text, i);
        for (let n = 1 + Math.floor(rand() * 3); n > 0 && j < text.length; n--) j = lineEnd(text, j + 1);
    } else j = boundary(text, i + 1 + Math.floor(rand() * (text.length - i)));
    if (j <= i) j = lineEnd(text, i + 1);
    return [i, j];
}

/**
 * One PSM example from a chunk, split at random points (fimSplit), at most `row` tokens. `head`
 * (other files in the repository format, tools/train/repo-rows.ts) goes before the prefix marker,
 * where the editor's prompt puts them.
 */
export function fimExample(tok: BpeTokenizer, sp: Specials, text: string, rand: () => number, row = ROW, head: readonly number[] = []): FimExample {
    const [i, j] = fimSplit(text, rand);
    let pre = tok.encode(text.slice(0, i));
    let suf = tok.encode(text.slice(j));
    let mid = tok.encode(text.slice(i, j));
    const room = row - 4 - head.length;
    if (mid.length > room - 16) mid = mid.slice(0, room - 16);
    let over = pre.length + suf.length + mid.length - room;
    if (over > 0) {
        // Like the editor's prompt budget: drop the far end of the prefix, then of the suffix.
        const cutPre = Math.min(over, Math.max(0, pre.length - 8));
        pre = pre.slice(cutPre);
        over -= cutPre;
        if (over > 0) suf = suf.slice(0, Math.max(0, suf.length - over));
    }
    const tokens = [...head, sp.fimPre, ...pre, sp.fimSuf, ...suf, sp.fimMid, ...mid, sp.eos];
    if (tokens.length > row) throw new Error('FIM example too long');
    return { tokens, middleStart: head.length + pre.length + suf.length + 3 };
}

/** Plain rows: documents joined by EOS, windows of `row` tokens at stride `row - 1`. */
function plainRows(docs: number[][], eos: number, row: number): Uint16Array[] {
    const stream: number[] = [];
    for (const d of docs) {
        for (const t of d) stream.push(t);
        stream.push(eos);
    }
    const rows: Uint16Array[] = [];
    for (let s = 0; s + row <= stream.length; s += row - 1) rows.push(Uint16Array.from(stream.slice(s, s + row)));
    return rows;
}

/** First-fit packing of whole examples into rows; returns rows and per-token middle masks. */
function packFim(examples: FimExample[], row: number): { rows: Uint16Array[]; masks: Uint8Array[] } {
    const rows: Uint16Array[] = [];
    const masks: Uint8Array[] = [];
    const used: number[] = [];
    for (const ex of examples) {
        // First fit among the most recent rows (older ones are practically full).
        let r = -1;
        for (let k = Math.max(0, used.length - 32); k < used.length && r < 0; k++) if (used[k] + ex.tokens.length <= row) r = k;
        if (r < 0) {
            rows.push(new Uint16Array(row).fill(PAD));
            masks.push(new Uint8Array(row));
            used.push(0);
            r = rows.length - 1;
        }
        rows[r].set(ex.tokens, used[r]);
        // mask[k] = 1 when token k (a target) belongs to the middle or its closing EOS
        for (let k = ex.middleStart; k < ex.tokens.length; k++) masks[r][used[r] + k] = 1;
        used[r] += ex.tokens.length;
    }
    return { rows, masks };
}

function writeRows(path: string, rows: ArrayLike<number>[], bytesPer: 1 | 2): void {
    const n = rows[0]?.length ?? 0;
    const buf = Buffer.alloc(rows.length * n * bytesPer);
    rows.forEach((row, r) => {
        for (let k = 0; k < n; k++) {
            if (bytesPer === 2) buf.writeUInt16LE(row[k], (r * n + k) * 2);
            else buf[r * n + k] = row[k];
        }
    });
    writeFileSync(path, buf);
}

export interface PrepareOptions {
    readonly out: string;
    readonly seed: number;
    /** Bytes of training text to tokenize (the training run samples rows from these). */
    readonly trainBytes: number;
    /** Bytes of training text the BPE merges are learnt from. */
    readonly bpeBytes: number;
    readonly fimRate: number;
    readonly perPackageBytes: number;
    /** Also train on registry-packages.json's packages (fetched once into .cache/train/registry). */
    readonly registry: boolean;
    readonly registryPackageBytes: number;
    /** A tokenizer.json (from-gguf.ts) to keep, instead of learning merges: training continues a model. */
    readonly tokenizer?: string;
    /** Tokens per row: the context the model is trained at. */
    readonly context: number;
    /** Share of FIM examples that get other files of their package in the repository format (repo-rows.ts). */
    readonly repoRate: number;
}

export const DEFAULT_PREPARE: Omit<PrepareOptions, 'out'> = {
    seed: 20250601,
    trainBytes: 14_000_000,
    bpeBytes: 8_000_000,
    fimRate: 0.5,
    perPackageBytes: 400_000,
    registry: false,
    registryPackageBytes: 1_000_000,
    context: CONTEXT,
    repoRate: 0
};

/** A tokenizer from its token texts and "left right" merges, checked to give the same ids. */
export function tokenizerFromFile(path: string): BpeTokenizer {
    const { tokens, merges } = JSON.parse(readFileSync(path, 'utf8')) as { tokens: string[]; merges: string[] };
    const id = new Map(tokens.map((t, i) => [t, i] as const));
    const pairs = merges.map((m): [number, number] => {
        const k = m.indexOf(' ');
        const a = id.get(m.slice(0, k));
        const b = id.get(m.slice(k + 1));
        if (a === undefined || b === undefined) throw new Error(`${path}: merge "${m}" names a token it does not have`);
        return [a, b];
    });
    const tok = new BpeTokenizer(pairs);
    if (tok.tokens.length !== VOCAB_SIZE - SPECIALS.length || tok.tokens.some((t, i) => t !== tokens[i])) {
        throw new Error(`${path}: its merges do not rebuild its ${tokens.length} tokens in order`);
    }
    return tok;
}

/** Fixed inputs whose torch log-probs become the llama.cpp agreement fixture. */
export const PROBE_TEXTS = {
    fim: {
        prefix: 'export function clamp(value: number, min: number, max: number): number {\n    if (value < min) {\n        return ',
        suffix: ';\n    }\n    return value > max ? max : value;\n}\n'
    },
    plain: "import { readFileSync } from 'node:fs';\n\nexport class Stack<T> {\n    private readonly items: T[] = [];\n\n    push(item: T): void {\n        this.items."
};

export function prepare(o: PrepareOptions): Record<string, unknown> {
    const t0 = Date.now();
    mkdirSync(o.out, { recursive: true });
    const registry = o.registry ? fetchRegistryPackages(REPO_ROOT) : [];
    const corpus = loadTrainingCorpus({
        root: REPO_ROOT,
        perPackageBytes: o.perPackageBytes,
        extraPackageDirs: registry.map((r) => r.dir),
        extraPackageBytes: o.registryPackageBytes
    });
    const rand = rng(o.seed);
    const files = shuffle([...corpus.train], rand);
    const selected: CorpusFile[] = [];
    const val: CorpusFile[] = [];
    let bytes = 0;
    for (const f of files) {
        const n = Buffer.byteLength(f.text);
        if (bytes < o.trainBytes) {
            selected.push(f);
            bytes += n;
        } else if (val.length < 60) val.push(f);
        else break;
    }

    // Tokenizer
    const wordCounts = new Map<string, number>();
    let bpeBytes = 0;
    for (const f of o.tokenizer ? [] : selected) {
        if (bpeBytes >= o.bpeBytes) break;
        bpeBytes += Buffer.byteLength(f.text);
        for (const w of preTokenize(f.text)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    }
    const tok = o.tokenizer ? tokenizerFromFile(o.tokenizer) : trainBpe(wordCounts, { vocabSize: VOCAB_SIZE - SPECIALS.length });
    if (tok.tokens.length !== VOCAB_SIZE - SPECIALS.length) throw new Error(`BPE stopped at ${tok.tokens.length} tokens`);
    const tokens = [...tok.tokens];
    const roles: Record<string, number> = {};
    for (const s of SPECIALS) {
        if (tokens.includes(s.text)) throw new Error(`special ${s.text} collides with a BPE token`);
        for (const r of s.roles ?? []) roles[r] = tokens.length;
        tokens.push(s.text);
    }
    const sp: Specials = { eos: roles.eos, fimPre: roles.fimPre, fimMid: roles.fimMid, fimSuf: roles.fimSuf };
    writeFileSync(join(o.out, 'tokenizer.json'), JSON.stringify({ pre: PRE_TOKENIZER, tokens, merges: tok.mergeStrings(), specials: SPECIALS, roles }));
    const tBpe = Date.now();

    // Rows
    const row = o.context + 1;
    const repo = o.repoRate > 0 ? new RepoRows(selected, corpus.packages.map((p) => p.dir), tok, { repoName: roles.fimRep, fileSep: roles.fimSep }) : null;
    let repoExamples = 0;
    let headTokens = 0;
    const example = (f: CorpusFile, c: string, r: () => number): FimExample => {
        // Without repository rows no extra draw is made: the same seed gives the same data as before.
        const head = repo !== null && r() < o.repoRate ? repo.header(f, c, row, r) : [];
        if (head.length > 0) repoExamples++;
        headTokens += head.length;
        return fimExample(tok, sp, c, r, row, head);
    };
    const build = (docs: CorpusFile[], fimRate: number, r: () => number) => {
        const plain: number[][] = [];
        const fim: FimExample[] = [];
        let textBytes = 0;
        let tokenCount = 0;
        for (const f of docs) {
            textBytes += Buffer.byteLength(f.text);
            if (r() < fimRate) for (const c of chunks(f.text, r)) fim.push(example(f, c, r));
            else plain.push(tok.encode(f.text));
        }
        for (const d of plain) tokenCount += d.length + 1;
        for (const e of fim) tokenCount += e.tokens.length;
        return { plain, fim, textBytes, tokenCount };
    };
    const train = build(selected, o.fimRate, rand);
    const trainPlain = plainRows(train.plain, sp.eos, row);
    const trainFim = packFim(train.fim, row);
    const trainRows = shuffle([...trainPlain, ...trainFim.rows], rand);
    writeRows(join(o.out, 'train.u16'), trainRows, 2);

    const valSet = build(val, o.fimRate, rand);
    const valRows = [...plainRows(valSet.plain, sp.eos, row), ...packFim(valSet.fim, row).rows];
    writeRows(join(o.out, 'val.u16'), valRows, 2);

    const heldRand = rng(o.seed ^ 0x5eed);
    const heldDocs = corpus.heldout.map((f) => tok.encode(f.text));
    const heldPlain = plainRows(heldDocs, sp.eos, row);
    writeRows(join(o.out, 'heldout-plain.u16'), heldPlain, 2);
    const heldFimExamples: FimExample[] = [];
    for (const f of corpus.heldout) for (const c of chunks(f.text, heldRand)) heldFimExamples.push(fimExample(tok, sp, c, heldRand, row));
    const heldFim = packFim(heldFimExamples, row);
    writeRows(join(o.out, 'heldout-fim.u16'), heldFim.rows, 2);
    writeRows(join(o.out, 'heldout-fim.mask'), heldFim.masks, 1);
    const heldBytes = corpus.heldout.reduce((a, f) => a + Buffer.byteLength(f.text), 0);
    const heldTokens = heldDocs.reduce((a, d) => a + d.length, 0);

    // Probe for the llama.cpp agreement fixture: a FIM prompt as TokenTree builds it, and a plain prefix.
    const probe = {
        fim: [sp.fimPre, ...tok.encode(PROBE_TEXTS.fim.prefix), sp.fimSuf, ...tok.encode(PROBE_TEXTS.fim.suffix), sp.fimMid],
        plain: tok.encode(PROBE_TEXTS.plain)
    };
    writeFileSync(join(o.out, 'probe.json'), JSON.stringify({ texts: PROBE_TEXTS, ids: probe }));

    const fimTokens = train.fim.reduce((a, e) => a + e.tokens.length, 0);
    const info = {
        seed: o.seed,
        context: o.context,
        vocab: tokens.length,
        merges: tok.merges.length,
        roles,
        pad: PAD,
        corpusSha256: corpus.sha256,
        tokenizer: o.tokenizer ? { keptFrom: o.tokenizer } : { learntFromBytes: bpeBytes },
        registry: registry.map((r) => ({ spec: r.spec, integrity: r.integrity })),
        corpus: {
            trainFilesAvailable: corpus.train.length,
            trainBytesAvailable: corpus.train.reduce((a, f) => a + Buffer.byteLength(f.text), 0),
            packages: corpus.packages.length,
            skipped: { ...corpus.skipped, license: corpus.skipped.license }
        },
        train: {
            files: selected.length,
            bytes: train.textBytes,
            tokens: train.tokenCount,
            // Other files' tokens repeat text counted elsewhere: the rate is over the files' own text.
            bytesPerToken: train.textBytes / (train.tokenCount - train.plain.length - 4 * train.fim.length - headTokens),
            fimExamples: train.fim.length,
            fimTokenShare: fimTokens / train.tokenCount,
            repoRate: o.repoRate,
            repoExamples,
            repoHeaderTokens: headTokens,
            rows: trainRows.length,
            plainRows: trainPlain.length,
            fimRows: trainFim.rows.length,
            bpeBytes
        },
        val: { files: val.length, rows: valRows.length },
        heldout: {
            packages: corpus.heldoutPackages,
            files: corpus.heldout.length,
            bytes: heldBytes,
            plainRows: heldPlain.length,
            fimRows: heldFim.rows.length,
            tokens: heldTokens,
            bytesPerToken: heldBytes / heldTokens
        },
        packages: corpus.packages.map((p) => ({ ...p, usedFiles: selected.filter((f) => f.path.startsWith(`${p.dir}/`) && !f.path.slice(p.dir.length + 1).includes('node_modules/')).length })),
        seconds: { bpe: (tBpe - t0) / 1000, total: (Date.now() - t0) / 1000 }
    };
    writeFileSync(join(o.out, 'data.json'), JSON.stringify(info, null, 1));
    return info;
}

/** models/heldout.json: the packages `tokentree eval` reads held-out files from. */
export function heldoutManifest(info: ReturnType<typeof prepare>): unknown {
    const held = (info.heldout as { packages: Array<{ name: string; version: string; license: string; dir: string; files: number; bytes: number }> }).packages;
    return {
        description:
            'Packages held out of the training data of models/tokentree-code.gguf (every installed copy of each name; files duplicated elsewhere were dropped from training too). Paths are relative to the repository root after `npm ci`.',
        packages: HELDOUT_PACKAGES.map((name) => {
            const copies = held.filter((p) => p.name === name);
            const top = copies.find((p) => p.dir === `node_modules/${name}`) ?? copies[0];
            return {
                name,
                version: top?.version,
                license: top?.license,
                dir: top?.dir,
                files: top?.files,
                bytes: top?.bytes,
                otherCopies: copies.filter((p) => p !== top).map((p) => ({ dir: p.dir, version: p.version }))
            };
        })
    };
}

function arg(argv: string[], name: string): string | undefined {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const out = resolve(arg(argv, '--out') ?? join(REPO_ROOT, '.cache', 'train'));
    const info = prepare({
        ...DEFAULT_PREPARE,
        out,
        seed: Number(arg(argv, '--seed') ?? DEFAULT_PREPARE.seed),
        trainBytes: Number(arg(argv, '--train-bytes') ?? DEFAULT_PREPARE.trainBytes),
        perPackageBytes: Number(arg(argv, '--per-package-bytes') ?? DEFAULT_PREPARE.perPackageBytes),
        registry: argv.includes('--registry'),
        tokenizer: arg(argv, '--tokenizer'),
        context: Number(arg(argv, '--context') ?? DEFAULT_PREPARE.context),
        repoRate: Number(arg(argv, '--repo-rate') ?? DEFAULT_PREPARE.repoRate)
    });
    writeFileSync(join(REPO_ROOT, 'models', 'heldout.json'), `${JSON.stringify(heldoutManifest(info), null, 2)}\n`);
    const summary: Record<string, unknown> = { ...info };
    delete summary.packages;
    console.log(JSON.stringify(summary, (k, v) => (k === 'license' && Array.isArray(v) ? `${v.length} packages` : v), 1));
}
