/**
 * End-to-end recipe shared by the built-in model and the test fixtures:
 * corpus → qwen2 pre-tokenizer → byte-level BPE → bigram counts (plus
 * synthetic FIM examples) → smoothed log-probabilities → low-rank factors →
 * one-block llama GGUF.
 */
import { BpeTokenizer, trainBpe } from './bpe';
import { BigramCounter, type LogitTable, logitTable } from './bigram';
import type { GgufFile, GgufValue } from './gguf-writer';
import { type SpecialRole, TOKEN_TYPE, llamaGguf } from './llama-gguf';
import { lowRank } from './lowrank';
import { PRE_TOKENIZER, preTokenize } from './pretokenize';

export interface SpecialToken {
    readonly text: string;
    readonly roles?: readonly SpecialRole[];
}

export interface CodeModelOptions {
    readonly documents: ReadonlyArray<{ readonly text: string }>;
    /** Total vocabulary including special tokens (BPE may stop early on a small corpus). */
    readonly vocabSize: number;
    /** Appended after the BPE tokens, in this order, as CONTROL tokens. */
    readonly specials: readonly SpecialToken[];
    /** Rank of the logit factorisation; n_embd = rank + 2. */
    readonly rank: number;
    readonly headCount: number;
    readonly feedForwardLength: number;
    readonly contextLength: number;
    readonly name: string;
    readonly fimMetadata: boolean | 'legacy';
    readonly addBos: boolean;
    readonly outputHead?: boolean;
    readonly powerIterations?: number;
    /** Absolute discount, see bigram.ts. */
    readonly discount?: number;
    /** One synthetic FIM example per this many line starts. */
    readonly fimEvery?: number;
    readonly seed?: number;
    /** Rows are weighted by (count + 1)^power in the low-rank fit. */
    readonly rowWeightPower?: number;
    readonly colWeightPower?: number;
    readonly extraMetadata?: ReadonlyArray<readonly [string, GgufValue]>;
}

export interface CodeModel {
    readonly file: GgufFile;
    readonly tokenizer: BpeTokenizer;
    /** All token texts, specials included. */
    readonly tokens: readonly string[];
    readonly roles: Partial<Record<SpecialRole, number>>;
    /** The exact (unfactorised) target logits, for checking the model against. */
    readonly table: LogitTable;
    readonly stats: { readonly corpusTokens: number; readonly bigrams: number; readonly fimExamples: number };
}

/** Exact for the common exponents (Math.pow need not be correctly rounded, Math.sqrt is). */
function power(x: number, p: number): number {
    return p === 1 ? x : p === 0.5 ? Math.sqrt(x) : p === 0 ? 1 : Math.pow(x, p);
}

/** Prompt-only roles: the model should never emit these. */
const NEVER_EMITTED: readonly SpecialRole[] = ['bos', 'pad', 'fimPre', 'fimSuf', 'fimMid', 'fimPad', 'fimRep', 'fimSep'];

export function buildCodeModel(o: CodeModelOptions): CodeModel {
    const wordCounts = new Map<string, number>();
    for (const d of o.documents) for (const w of preTokenize(d.text)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    const tokenizer = trainBpe(wordCounts, { vocabSize: o.vocabSize - o.specials.length });

    const tokens = [...tokenizer.tokens];
    const tokenTypes: number[] = tokens.map(() => TOKEN_TYPE.NORMAL);
    const roles: Partial<Record<SpecialRole, number>> = {};
    for (const s of o.specials) {
        if (tokens.includes(s.text)) throw new Error(`special token ${s.text} collides with a BPE token`);
        for (const r of s.roles ?? []) roles[r] = tokens.length;
        tokens.push(s.text);
        tokenTypes.push(TOKEN_TYPE.CONTROL);
    }
    const eos = roles.eos;
    if (eos === undefined) throw new Error('an eos special token is required');
    const start = roles.bos ?? eos;
    const middleEnd = roles.eot ?? eos;

    const counts = new BigramCounter(tokens.length);
    let corpusTokens = 0;
    let fimExamples = 0;
    const fimEvery = o.fimEvery ?? 16;
    for (const d of o.documents) {
        const ids = tokenizer.encode(d.text);
        if (ids.length === 0) continue;
        corpusTokens += ids.length;
        counts.add(start, ids[0]);
        counts.addSequence(ids);
        counts.add(ids[ids.length - 1], eos);
        if (roles.fimPre === undefined || roles.fimSuf === undefined || roles.fimMid === undefined) continue;
        // Middles are 1-3 whole lines so "end of middle" is learnt at line ends,
        // which is where an editor completion should stop.
        const lineStarts = [0];
        for (let t = 1; t < ids.length; t++) {
            const b = tokenizer.bytesOf(ids[t - 1]);
            if (b[b.length - 1] === 0x0a) lineStarts.push(t);
        }
        for (let m = fimEvery >> 1; m < lineStarts.length; m += fimEvery) {
            const from = lineStarts[m];
            const to = m + 1 + (m % 3) < lineStarts.length ? lineStarts[m + 1 + (m % 3)] : ids.length;
            counts.add(roles.fimPre, ids[0]);
            counts.add(roles.fimMid, ids[from]);
            counts.add(ids[to - 1], middleEnd);
            if (to < ids.length) counts.add(roles.fimSuf, ids[to]);
            fimExamples++;
        }
    }

    const never = NEVER_EMITTED.map((r) => roles[r]).filter((id): id is number => id !== undefined && id !== eos);
    const table = logitTable(counts, { discount: o.discount ?? 1, never });
    // Weighting the fit by how often a token occurs as context (rows) and as
    // prediction (columns) spends the limited rank on the bigrams that matter;
    // unweighted, rare one-off pairs dominate the Frobenius error.
    const rowTotals = counts.rowTotals();
    const weights = rowTotals.map((n) => power(n + 1, o.rowWeightPower ?? 1));
    const colWeights = counts.next.map((n) => power(n + 1, o.colWeightPower ?? 0.5));
    const factors = lowRank(table.sparse, o.rank, o.powerIterations ?? 3, o.seed ?? 1, weights, colWeights);
    const file = llamaGguf(
        {
            tokens,
            tokenTypes,
            merges: tokenizer.mergeStrings(),
            pre: PRE_TOKENIZER,
            roles,
            addBos: o.addBos,
            fimMetadata: o.fimMetadata
        },
        { left: factors.left, right: factors.right, bias: table.bias },
        {
            name: o.name,
            contextLength: o.contextLength,
            headCount: o.headCount,
            feedForwardLength: o.feedForwardLength,
            rmsEps: 1e-6,
            outputHead: o.outputHead ?? true,
            extraMetadata: o.extraMetadata
        }
    );
    return { file, tokenizer, tokens, roles, table, stats: { corpusTokens, bigrams: table.sparse.values.length, fimExamples } };
}
