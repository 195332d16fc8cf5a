/**
 * Token bigram statistics and the log-probability table the model encodes.
 *
 * Smoothing is interpolated absolute discounting with a unigram back-off:
 *     P(j | i) = (max(c_ij − D, 0) + D·T_i·p_j) / n_i,   p_j = (u_j + ½) / (N + ½·V)
 * with T_i the number of distinct successors of i. Softmax ignores per-row
 * constants, so the logits only need
 *     bias_j + log(1 + max(c_ij − D, 0) / (D·T_i·p_j)),   bias_j = log p_j
 * The second term is zero wherever c_ij ≤ D, so it is a sparse matrix the
 * low-rank step can work on cheaply (discounting also drops the many
 * one-off bigrams, which would otherwise eat rank), and bias_j becomes one
 * extra embedding dimension that is the same for every row.
 */
import type { Csr } from './lowrank';

export class BigramCounter {
    private readonly pairs = new Map<number, number>();
    readonly next: Float64Array;
    total = 0;

    constructor(readonly vocabSize: number) {
        this.next = new Float64Array(vocabSize);
    }

    add(prev: number, next: number, weight = 1): void {
        const v = this.vocabSize;
        if (prev < 0 || prev >= v || next < 0 || next >= v) throw new RangeError(`bigram ${prev}->${next} outside vocab`);
        const key = prev * v + next;
        this.pairs.set(key, (this.pairs.get(key) ?? 0) + weight);
        this.next[next] += weight;
        this.total += weight;
    }

    addSequence(ids: ArrayLike<number>): void {
        for (let i = 0; i + 1 < ids.length; i++) this.add(ids[i], ids[i + 1]);
    }

    /** How often each token occurs as the previous token. */
    rowTotals(): Float64Array {
        const t = new Float64Array(this.vocabSize);
        for (const [k, c] of this.pairs) t[Math.floor(k / this.vocabSize)] += c;
        return t;
    }

    count(prev: number, next: number): number {
        return this.pairs.get(prev * this.vocabSize + next) ?? 0;
    }

    /** Entries sorted by (prev, next) so downstream results do not depend on insertion order. */
    entries(): Array<[prev: number, next: number, count: number]> {
        const keys = [...this.pairs.keys()].sort((a, b) => a - b);
        return keys.map((k) => [Math.floor(k / this.vocabSize), k % this.vocabSize, this.pairs.get(k) ?? 0]);
    }
}

export interface LogitTable {
    /** log(1 + max(c_ij − D, 0) / (D·T_i·p_j)), rows = previous token, cols = next token. */
    readonly sparse: Csr;
    /** bias_j = log p_j. */
    readonly bias: Float64Array;
}

export interface SmoothingOptions {
    /** Absolute discount D subtracted from every seen bigram count (0 < D ≤ 1). */
    readonly discount: number;
    /** Tokens that should never be predicted (prompt-only control tokens). */
    readonly never?: readonly number[];
    /** How far below the lowest ordinary bias the `never` tokens sit, in nats. */
    readonly neverMargin?: number;
}

export function logitTable(counts: BigramCounter, opts: SmoothingOptions): LogitTable {
    const v = counts.vocabSize;
    const D = opts.discount;
    const never = new Set(opts.never ?? []);
    const prior = new Float64Array(v);
    for (let j = 0; j < v; j++) prior[j] = (counts.next[j] + 0.5) / (counts.total + 0.5 * v);
    const bias = new Float64Array(v);
    let minBias = Infinity;
    for (let j = 0; j < v; j++) {
        bias[j] = Math.log(prior[j]);
        if (!never.has(j)) minBias = Math.min(minBias, bias[j]);
    }
    for (const j of never) bias[j] = minBias - (opts.neverMargin ?? 20);

    const entries = counts.entries().filter(([, j]) => !never.has(j));
    const distinct = new Float64Array(v); // T_i: distinct continuations of row i
    for (const [i] of entries) distinct[i]++;
    const kept = entries.filter(([, , c]) => c > D);
    const rowPtr = new Int32Array(v + 1);
    for (const [i] of kept) rowPtr[i + 1]++;
    for (let i = 0; i < v; i++) rowPtr[i + 1] += rowPtr[i];
    const colIdx = new Int32Array(kept.length);
    const values = new Float64Array(kept.length);
    kept.forEach(([i, j, c], p) => {
        colIdx[p] = j;
        values[p] = Math.log1p((c - D) / (D * distinct[i] * prior[j]));
    });
    return { sparse: { rows: v, cols: v, rowPtr, colIdx, values }, bias };
}
