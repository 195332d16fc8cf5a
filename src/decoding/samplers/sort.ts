/**
 * In-place sorting of parallel (key, id) arrays, and insertion into a bounded buffer of them,
 * without allocating: the hot path of a sampler chain runs once per generated token, so it must
 * not create garbage.
 * Order: key descending, then id ascending, which makes ties deterministic.
 */

const before = (ka: number, ia: number, kb: number, ib: number): boolean => ka > kb || (ka === kb && ia < ib);

export function sortPairsDesc(keys: Float32Array | Float64Array, ids: Int32Array, lo: number, hi: number): void {
  // Iterative quicksort (median of three) over [lo, hi), insertion sort below 16 items.
  while (hi - lo > 16) {
    const mid = (lo + hi) >>> 1;
    order3(keys, ids, lo, mid, hi - 1);
    const pk = keys[mid];
    const pi = ids[mid];
    let i = lo;
    let j = hi - 1;
    while (i <= j) {
      while (before(keys[i], ids[i], pk, pi)) i++;
      while (before(pk, pi, keys[j], ids[j])) j--;
      if (i <= j) {
        swap(keys, ids, i, j);
        i++;
        j--;
      }
    }
    // Recurse into the smaller side, loop on the larger: bounded stack depth.
    if (j - lo < hi - i) {
      sortPairsDesc(keys, ids, lo, j + 1);
      lo = i;
    } else {
      sortPairsDesc(keys, ids, i, hi);
      hi = j + 1;
    }
  }
  for (let a = lo + 1; a < hi; a++) {
    const k = keys[a];
    const id = ids[a];
    let b = a - 1;
    while (b >= lo && before(k, id, keys[b], ids[b])) {
      keys[b + 1] = keys[b];
      ids[b + 1] = ids[b];
      b--;
    }
    keys[b + 1] = k;
    ids[b + 1] = id;
  }
}

function order3(keys: Float32Array | Float64Array, ids: Int32Array, a: number, b: number, c: number): void {
  if (before(keys[b], ids[b], keys[a], ids[a])) swap(keys, ids, a, b);
  if (before(keys[c], ids[c], keys[b], ids[b])) {
    swap(keys, ids, b, c);
    if (before(keys[b], ids[b], keys[a], ids[a])) swap(keys, ids, a, b);
  }
}

function swap(keys: Float32Array | Float64Array, ids: Int32Array, i: number, j: number): void {
  const k = keys[i];
  keys[i] = keys[j];
  keys[j] = k;
  const id = ids[i];
  ids[i] = ids[j];
  ids[j] = id;
}

/** Inserts `x` if the buffer has room or `x` beats its smallest (ties: the earlier stays). */
export function insertIfLarger(keys: Float64Array, ids: Int32Array, size: number, k: number, x: number, id: number): number {
  return size < k || x > keys[k - 1] ? insert(keys, ids, size, k, x, id) : size;
}

/** Inserts into a descending buffer of capacity k, dropping the smallest when full. */
export function insert(keys: Float64Array, ids: Int32Array, size: number, k: number, x: number, id: number): number {
  let j = size < k ? size++ : k - 1;
  while (j > 0 && x > keys[j - 1]) {
    keys[j] = keys[j - 1];
    ids[j] = ids[j - 1];
    j--;
  }
  keys[j] = x;
  ids[j] = id;
  return size;
}
