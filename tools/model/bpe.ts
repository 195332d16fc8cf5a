/**
 * Byte-level BPE: training and an encoder that applies merges the way
 * llama.cpp does (llm_tokenizer_bpe_session: repeatedly merge the adjacent
 * pair with the lowest merge rank, leftmost first).
 *
 * Token ids 0..255 are the 256 single bytes, in byte order. Each merge adds
 * one token unless its text already exists (two different merges can spell
 * the same string, and llama.cpp asserts that token texts are unique).
 */
import { preTokenize } from './pretokenize';

/** GPT-2 bytes_to_unicode(): printable stand-ins for all 256 byte values. */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
    const table: string[] = new Array<string>(256);
    let n = 0;
    for (let b = 0; b < 256; b++) {
        const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        table[b] = String.fromCodePoint(printable ? b : 256 + n++);
    }
    return table;
})();

const UNICODE_TO_BYTE = new Map<string, number>(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

export type Merge = readonly [left: number, right: number];

export class BpeTokenizer {
    /** Byte-encoded token texts (GPT-2 style), as stored in tokenizer.ggml.tokens. */
    readonly tokens: string[];
    readonly merges: Merge[];
    /** Token produced by each merge, index = merge rank. */
    readonly mergeResult: number[];
    private readonly rank = new Map<number, number>();
    private readonly cache = new Map<string, number[]>();
    /** Raw bytes of every token, for decoding. */
    private readonly tokenBytes: Buffer[];

    constructor(merges: readonly Merge[]) {
        this.tokens = [...BYTE_TO_UNICODE];
        this.tokenBytes = BYTE_TO_UNICODE.map((_, b) => Buffer.from([b]));
        this.merges = [];
        this.mergeResult = [];
        const byText = new Map<string, number>(this.tokens.map((t, i) => [t, i]));
        for (const [a, b] of merges) {
            const text = this.tokens[a] + this.tokens[b];
            let id = byText.get(text);
            if (id === undefined) {
                id = this.tokens.length;
                this.tokens.push(text);
                this.tokenBytes.push(Buffer.concat([this.tokenBytes[a], this.tokenBytes[b]]));
                byText.set(text, id);
            }
            this.rank.set(pairKey(a, b), this.merges.length);
            this.merges.push([a, b]);
            this.mergeResult.push(id);
        }
    }

    /** Merges in the "left right" text form of tokenizer.ggml.merges. */
    mergeStrings(): string[] {
        return this.merges.map(([a, b]) => `${this.tokens[a]} ${this.tokens[b]}`);
    }

    /** BPE-encode one pre-tokenized word. */
    encodeWord(word: string): number[] {
        const hit = this.cache.get(word);
        if (hit) return hit;
        const syms = [...Buffer.from(word, 'utf8')];
        for (;;) {
            let best = -1;
            let bestRank = Infinity;
            for (let i = 0; i + 1 < syms.length; i++) {
                const r = this.rank.get(pairKey(syms[i], syms[i + 1]));
                if (r !== undefined && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            syms.splice(best, 2, this.mergeResult[bestRank]);
        }
        this.cache.set(word, syms);
        return syms;
    }

    /** Encode text as llama.cpp does with parse_special = false. */
    encode(text: string): number[] {
        const out: number[] = [];
        for (const w of preTokenize(text)) for (const id of this.encodeWord(w)) out.push(id);
        return out;
    }

    /** Raw bytes of a non-special token. */
    bytesOf(id: number): Buffer {
        return this.tokenBytes[id];
    }

    decode(ids: readonly number[]): string {
        return Buffer.concat(ids.map((id) => this.tokenBytes[id])).toString('utf8');
    }
}

/** Decode a byte-encoded token text back to bytes (inverse of BYTE_TO_UNICODE). */
export function tokenTextToBytes(text: string): Buffer {
    return Buffer.from(Array.from(text, (ch) => {
        const b = UNICODE_TO_BYTE.get(ch);
        if (b === undefined) throw new Error(`not a byte-level token text: ${JSON.stringify(text)}`);
        return b;
    }));
}

function pairKey(a: number, b: number): number {
    return a * 0x10000 + b;
}

/** Max-heap on (count desc, pair key asc); the key tie-break keeps training deterministic. */
class PairHeap {
    private readonly counts: number[] = [];
    private readonly keys: number[] = [];

    private before(i: number, j: number): boolean {
        const ci = this.counts[i];
        const cj = this.counts[j];
        return ci > cj || (ci === cj && this.keys[i] < this.keys[j]);
    }
    private swap(i: number, j: number): void {
        [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
        [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
    }
    get size(): number {
        return this.keys.length;
    }
    push(count: number, key: number): void {
        this.counts.push(count);
        this.keys.push(key);
        for (let i = this.keys.length - 1; i > 0; ) {
            const p = (i - 1) >> 1;
            if (!this.before(i, p)) break;
            this.swap(i, p);
            i = p;
        }
    }
    pop(): [number, number] {
        const top: [number, number] = [this.counts[0], this.keys[0]];
        const lastC = this.counts.pop() as number;
        const lastK = this.keys.pop() as number;
        if (this.keys.length > 0) {
            this.counts[0] = lastC;
            this.keys[0] = lastK;
            for (let i = 0; ; ) {
                const l = 2 * i + 1;
                const r = l + 1;
                let m = i;
                if (l < this.keys.length && this.before(l, m)) m = l;
                if (r < this.keys.length && this.before(r, m)) m = r;
                if (m === i) break;
                this.swap(i, m);
                i = m;
            }
        }
        return top;
    }
}

export interface TrainOptions {
    /** Stop once the vocabulary (bytes + merged tokens, no specials) has this many tokens. */
    readonly vocabSize: number;
    /** Pairs seen fewer times than this are never merged. */
    readonly minPairCount?: number;
}

/**
 * Train byte-level BPE on pre-tokenized word counts. Pair counts are kept
 * incrementally: a merge only re-counts the words that contain the pair, so
 * the cost per merge is proportional to how often the pair occurs.
 */
export function trainBpe(wordCounts: ReadonlyMap<string, number>, opts: TrainOptions): BpeTokenizer {
    const minCount = opts.minPairCount ?? 2;
    const words: number[][] = [];
    const freq: number[] = [];
    for (const [w, c] of wordCounts) {
        words.push([...Buffer.from(w, 'utf8')]);
        freq.push(c);
    }
    const pairCount = new Map<number, number>();
    const pairWords = new Map<number, Set<number>>();
    const addPairs = (wi: number, sign: number, touched: Set<number>): void => {
        const s = words[wi];
        for (let i = 0; i + 1 < s.length; i++) {
            const k = pairKey(s[i], s[i + 1]);
            pairCount.set(k, (pairCount.get(k) ?? 0) + sign * freq[wi]);
            touched.add(k);
            if (sign > 0) {
                let set = pairWords.get(k);
                if (!set) pairWords.set(k, (set = new Set()));
                set.add(wi);
            }
        }
    };
    const heap = new PairHeap();
    const initial = new Set<number>();
    for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1, initial);
    for (const k of initial) heap.push(pairCount.get(k) ?? 0, k);

    // Texts of tokens so far, to find merges whose result already exists.
    const texts = new Map<string, number>(BYTE_TO_UNICODE.map((t, i) => [t, i]));
    const tokenText: string[] = [...BYTE_TO_UNICODE];
    const merges: Merge[] = [];
    while (tokenText.length < opts.vocabSize && heap.size > 0) {
        const [count, key] = heap.pop();
        if (count !== pairCount.get(key)) continue; // stale heap entry
        if (count < minCount) break;
        const a = Math.floor(key / 0x10000);
        const b = key % 0x10000;
        const text = tokenText[a] + tokenText[b];
        let id = texts.get(text);
        if (id === undefined) {
            id = tokenText.length;
            tokenText.push(text);
            texts.set(text, id);
        }
        merges.push([a, b]);
        const touched = new Set<number>();
        for (const wi of pairWords.get(key) ?? []) {
            const s = words[wi];
            let found = false;
            for (let i = 0; i + 1 < s.length && !found; i++) found = s[i] === a && s[i + 1] === b;
            if (!found) continue;
            addPairs(wi, -1, touched);
            const next: number[] = [];
            for (let i = 0; i < s.length; i++) {
                if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
                    next.push(id);
                    i++;
                } else next.push(s[i]);
            }
            words[wi] = next;
            addPairs(wi, 1, touched);
        }
        pairCount.delete(key);
        pairWords.delete(key);
        touched.delete(key);
        for (const k of touched) {
            const c = pairCount.get(k) ?? 0;
            if (c > 0) heap.push(c, k);
            else pairCount.delete(k);
        }
    }
    return new BpeTokenizer(merges);
}
