/**
 * Pre-tokenizer for `tokenizer.ggml.pre = "qwen2"`.
 *
 * This is a line-by-line port of unicode_regex_split_custom_qwen2() in
 * llama.cpp src/unicode.cpp, the hand-written matcher llama.cpp uses for the
 * Qwen2 regex
 *   (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Porting the matcher rather than using a JS regex keeps its quirks, so the
 * words we train BPE on are exactly the words llama.cpp later feeds to BPE.
 * qwen2 was picked over gpt-2 because it keeps digits apart and glues
 * punctuation to following newlines (`{\n`, `;\n`), which suits code.
 */

export const PRE_TOKENIZER = 'qwen2';

const F_LETTER = 1;
const F_NUMBER = 2;
const F_SPACE = 4;
const F_IN_RANGE = 8;

// unicode_set_whitespace in llama.cpp src/unicode-data.cpp
const WHITESPACE = new Set([
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
    0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000
]);
const LETTER_RE = /^\p{L}$/u;
const NUMBER_RE = /^\p{N}$/u;

const flagCache = new Map<number, number>();

function cptFlags(cpt: number): number {
    let f = flagCache.get(cpt);
    if (f === undefined) {
        const ch = String.fromCodePoint(cpt);
        f = F_IN_RANGE;
        if (LETTER_RE.test(ch)) f |= F_LETTER;
        if (NUMBER_RE.test(ch)) f |= F_NUMBER;
        if (WHITESPACE.has(cpt)) f |= F_SPACE;
        flagCache.set(cpt, f);
    }
    return f;
}

function toLower(cpt: number): number {
    if (cpt >= 0x41 && cpt <= 0x5a) return cpt + 32;
    if (cpt < 0x80) return cpt;
    const lower = String.fromCodePoint(cpt).toLowerCase();
    return lower.length > 0 && [...lower].length === 1 ? (lower.codePointAt(0) ?? cpt) : cpt;
}

const OUT = -1;
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const APOS = 0x27;

/** Split text into the words llama.cpp's qwen2 pre-tokenizer produces. */
export function preTokenize(text: string): string[] {
    const cpts: number[] = [];
    const offsets: number[] = []; // UTF-16 offset of each code point, plus the end
    for (let i = 0; i < text.length; ) {
        const c = text.codePointAt(i) ?? 0;
        cpts.push(c);
        offsets.push(i);
        i += c > 0xffff ? 2 : 1;
    }
    offsets.push(text.length);
    const end = cpts.length;
    const cpt = (p: number): number => (p >= 0 && p < end ? cpts[p] : OUT);
    const flags = (p: number): number => (p >= 0 && p < end ? cptFlags(cpts[p]) : 0);
    const words: string[] = [];
    let prevEnd = 0;
    const addToken = (e: number): number => {
        const len = e - prevEnd;
        if (len > 0) words.push(text.slice(offsets[prevEnd], offsets[e]));
        prevEnd = e;
        return len;
    };

    for (let pos = 0; pos < end; ) {
        const c = cpt(pos);
        const f = flags(pos);

        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c === APOS && pos + 1 < end) {
            const n1 = toLower(cpt(pos + 1));
            if (n1 === 0x73 || n1 === 0x74 || n1 === 0x6d || n1 === 0x64) {
                pos += addToken(pos + 2);
                continue;
            }
            if (pos + 2 < end) {
                const n2 = toLower(cpt(pos + 2));
                if ((n1 === 0x72 && n2 === 0x65) || (n1 === 0x76 && n2 === 0x65) || (n1 === 0x6c && n2 === 0x6c)) {
                    pos += addToken(pos + 3);
                    continue;
                }
            }
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (!(c === CR || c === LF || f & F_NUMBER)) {
            if (f & F_LETTER || flags(pos + 1) & F_LETTER) {
                pos++;
                while (flags(pos) & F_LETTER) pos++;
                addToken(pos);
                continue;
            }
        }

        // \p{N}
        if (f & F_NUMBER) {
            pos++;
            addToken(pos);
            continue;
        }

        // <space>?[^\s\p{L}\p{N}]+[\r\n]*
        let f2 = c === SP ? flags(pos + 1) : f;
        if (!(f2 & (F_SPACE | F_LETTER | F_NUMBER)) && f) {
            pos += c === SP ? 1 : 0;
            while (!(f2 & (F_SPACE | F_LETTER | F_NUMBER)) && f2) f2 = flags(++pos);
            let c2 = cpt(pos);
            while (c2 === CR || c2 === LF) c2 = cpt(++pos);
            addToken(pos);
            continue;
        }

        let numSpaces = 0;
        let lastEndRorN = 0;
        while (flags(pos + numSpaces) & F_SPACE) {
            const c2 = cpt(pos + numSpaces);
            if (c2 === CR || c2 === LF) lastEndRorN = pos + numSpaces + 1;
            numSpaces++;
        }

        // \s*[\r\n]+
        if (lastEndRorN > 0) {
            pos = lastEndRorN;
            addToken(pos);
            continue;
        }

        // \s+(?!\S)
        if (numSpaces > 1 && cpt(pos + numSpaces) !== OUT) {
            pos += numSpaces - 1;
            addToken(pos);
            continue;
        }

        // \s+
        if (numSpaces > 0) {
            pos += numSpaces;
            addToken(pos);
            continue;
        }

        // no match
        addToken(++pos);
    }
    return words;
}
