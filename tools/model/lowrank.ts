/**
 * Low-rank factorisation of a sparse matrix by randomized subspace iteration
 * (Halko, Martinsson & Tropp 2011, algorithm 4.4): S ≈ Q (Sᵀ Q)ᵀ with Q an
 * orthonormal basis of S's dominant column space.
 *
 * Everything is plain sequential Float64 arithmetic with a seeded generator
 * and no transcendental functions, so results are bit-identical across runs
 * and machines.
 */

/** Compressed sparse rows. */
export interface Csr {
    readonly rows: number;
    readonly cols: number;
    readonly rowPtr: Int32Array;
    readonly colIdx: Int32Array;
    readonly values: Float64Array;
}

/** Column-major dense matrix: one Float64Array per column. */
export type Columns = Float64Array[];

export interface Factors {
    /** rows × k, orthonormal columns (zero columns where S has lower rank). */
    readonly left: Columns;
    /** cols × k, equal to Sᵀ·left, so S ≈ left · rightᵀ. */
    readonly right: Columns;
}

/** xorshift32; small and exactly reproducible. */
export function makeRng(seed: number): () => number {
    let s = seed >>> 0 || 0x9e3779b9;
    return () => {
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        return s / 0x100000000;
    };
}

/** Y = S·X where X has S.cols rows. */
export function multiply(S: Csr, X: Columns): Columns {
    return X.map((x) => {
        const y = new Float64Array(S.rows);
        for (let i = 0; i < S.rows; i++) {
            let acc = 0;
            for (let p = S.rowPtr[i]; p < S.rowPtr[i + 1]; p++) acc += S.values[p] * x[S.colIdx[p]];
            y[i] = acc;
        }
        return y;
    });
}

/** Z = Sᵀ·X where X has S.rows rows. */
export function multiplyTransposed(S: Csr, X: Columns): Columns {
    return X.map((x) => {
        const z = new Float64Array(S.cols);
        for (let i = 0; i < S.rows; i++) {
            const xi = x[i];
            if (xi === 0) continue;
            for (let p = S.rowPtr[i]; p < S.rowPtr[i + 1]; p++) z[S.colIdx[p]] += S.values[p] * xi;
        }
        return z;
    });
}

function dot(a: Float64Array, b: Float64Array): number {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
}

/**
 * Orthonormalise columns in place by modified Gram-Schmidt, run twice
 * ("twice is enough") so the basis stays orthogonal in floating point.
 * Columns that are numerically dependent on earlier ones become zero.
 */
export function orthonormalize(cols: Columns): Columns {
    for (let c = 0; c < cols.length; c++) {
        const v = cols[c];
        const before = Math.sqrt(dot(v, v));
        for (let pass = 0; pass < 2; pass++) {
            for (let d = 0; d < c; d++) {
                const u = cols[d];
                const r = dot(u, v);
                if (r !== 0) for (let i = 0; i < v.length; i++) v[i] -= r * u[i];
            }
        }
        const norm = Math.sqrt(dot(v, v));
        if (!(norm > 1e-9 * before) || norm === 0) {
            v.fill(0);
            continue;
        }
        for (let i = 0; i < v.length; i++) v[i] /= norm;
    }
    return cols;
}

/**
 * With rowWeights w the fit minimises Σ w_i² ‖S_i − (left·rightᵀ)_i‖², so
 * rows that matter more (frequent contexts) are reproduced more accurately.
 */
export function lowRank(S0: Csr, rank: number, powerIterations: number, seed: number, rowWeights?: Float64Array, colWeights?: Float64Array): Factors {
    const S = scale(S0, rowWeights, colWeights);
    const rng = makeRng(seed);
    const omega: Columns = [];
    for (let c = 0; c < rank; c++) {
        const col = new Float64Array(S.cols);
        for (let i = 0; i < S.cols; i++) col[i] = rng() - 0.5;
        omega.push(col);
    }
    let q = orthonormalize(multiply(S, omega));
    for (let it = 0; it < powerIterations; it++) {
        const z = orthonormalize(multiplyTransposed(S, q));
        q = orthonormalize(multiply(S, z));
    }
    const right = multiplyTransposed(S, q);
    if (rowWeights) for (const col of q) for (let i = 0; i < col.length; i++) col[i] = rowWeights[i] > 0 ? col[i] / rowWeights[i] : 0;
    if (colWeights) for (const col of right) for (let j = 0; j < col.length; j++) col[j] = colWeights[j] > 0 ? col[j] / colWeights[j] : 0;
    return { left: q, right };
}

function scale(S: Csr, w?: Float64Array, v?: Float64Array): Csr {
    if (!w && !v) return S;
    const values = new Float64Array(S.values.length);
    for (let i = 0; i < S.rows; i++) {
        for (let p = S.rowPtr[i]; p < S.rowPtr[i + 1]; p++) values[p] = S.values[p] * (w ? w[i] : 1) * (v ? v[S.colIdx[p]] : 1);
    }
    return { ...S, values };
}
