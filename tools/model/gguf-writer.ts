/**
 * Minimal GGUF v3 writer (little-endian, deterministic).
 *
 * Format reference: llama.cpp ggml/src/gguf.cpp and gguf-py/gguf/constants.py.
 * The output depends only on the arguments: metadata is written in the given
 * order, padding bytes are zero, and nothing time- or host-dependent is added.
 */

/** GGUF metadata value type ids (gguf-py GGUFValueType). */
const enum ValueType {
    UINT32 = 4,
    INT32 = 5,
    FLOAT32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    UINT64 = 10
}

export type GgufValue =
    | { readonly kind: 'uint32'; readonly value: number }
    | { readonly kind: 'int32'; readonly value: number }
    | { readonly kind: 'float32'; readonly value: number }
    | { readonly kind: 'bool'; readonly value: boolean }
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'uint64'; readonly value: bigint }
    | { readonly kind: 'string[]'; readonly value: readonly string[] }
    | { readonly kind: 'int32[]'; readonly value: ArrayLike<number> }
    | { readonly kind: 'float32[]'; readonly value: ArrayLike<number> };

export const u32 = (value: number): GgufValue => ({ kind: 'uint32', value });
export const i32 = (value: number): GgufValue => ({ kind: 'int32', value });
export const f32 = (value: number): GgufValue => ({ kind: 'float32', value });
export const bool = (value: boolean): GgufValue => ({ kind: 'bool', value });
export const str = (value: string): GgufValue => ({ kind: 'string', value });
export const u64 = (value: bigint): GgufValue => ({ kind: 'uint64', value });
export const strArr = (value: readonly string[]): GgufValue => ({ kind: 'string[]', value });
export const i32Arr = (value: ArrayLike<number>): GgufValue => ({ kind: 'int32[]', value });
export const f32Arr = (value: ArrayLike<number>): GgufValue => ({ kind: 'float32[]', value });

/** ggml tensor types this writer can emit (values are ggml_type ids). */
export type TensorType = 'F32' | 'F16' | 'Q8_0';
const GGML_TYPE: Record<TensorType, number> = { F32: 0, F16: 1, Q8_0: 8 };
/** Bytes per block of BLOCK_VALUES[type] values (ggml's type traits). */
const BLOCK_BYTES: Record<TensorType, number> = { F32: 4, F16: 2, Q8_0: 34 };
const BLOCK_VALUES: Record<TensorType, number> = { F32: 1, F16: 1, Q8_0: 32 };

export interface GgufTensor {
    readonly name: string;
    /** ggml order: shape[0] is the contiguous (row) dimension. */
    readonly shape: readonly number[];
    readonly type: TensorType;
    readonly data: ArrayLike<number>;
}

export interface GgufFile {
    readonly metadata: ReadonlyArray<readonly [string, GgufValue]>;
    readonly tensors: readonly GgufTensor[];
    /** Written as general.alignment (uint32) unless the metadata already has it. */
    readonly alignment?: number;
}

/**
 * Round a number to IEEE 754 binary16 bits with round-to-nearest-even.
 * Works from the full double so values are rounded once (going through
 * float32 first would round twice and can land on the wrong neighbour).
 */
export function toFloat16Bits(x: number): number {
    if (Number.isNaN(x)) return 0x7e00;
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    const a = Math.abs(x);
    // Largest finite half is 65504; halfway to the next (65536) rounds to inf.
    if (a >= 65520) return sign | 0x7c00;
    if (a < 2 ** -14) {
        // Subnormal: a multiple of 2^-24; scaling by a power of two is exact.
        return sign | roundHalfEven(a * 2 ** 24); // may round up into the smallest normal (0x0400), which is correct
    }
    let e = Math.floor(Math.log2(a));
    // log2 may be off by one near powers of two; fix with exact comparisons.
    if (2 ** e > a) e -= 1;
    else if (2 ** (e + 1) <= a) e += 1;
    let m = roundHalfEven(a * 2 ** (10 - e)); // in [1024, 2048]
    if (m === 2048) {
        m = 1024;
        e += 1;
    }
    if (e > 15) return sign | 0x7c00;
    return sign | ((e + 15) << 10) | (m - 1024);
}

function roundHalfEven(v: number): number {
    const f = Math.floor(v);
    const d = v - f;
    if (d > 0.5 || (d === 0.5 && f % 2 === 1)) return f + 1;
    return f;
}

/** Decode binary16 bits to a number (used by tests and by readers of our own files). */
export function fromFloat16Bits(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) return sign * m * 2 ** -24;
    if (e === 31) return m ? NaN : sign * Infinity;
    return sign * (1024 + m) * 2 ** (e - 25);
}

/** Growable little-endian byte sink. */
class ByteSink {
    private buf = Buffer.alloc(1 << 16);
    private len = 0;

    private reserve(n: number): void {
        if (this.len + n <= this.buf.length) return;
        let size = this.buf.length * 2;
        while (size < this.len + n) size *= 2;
        const next = Buffer.alloc(size);
        this.buf.copy(next, 0, 0, this.len);
        this.buf = next;
    }

    get length(): number {
        return this.len;
    }

    u8(v: number): void {
        this.reserve(1);
        this.buf.writeUInt8(v, this.len);
        this.len += 1;
    }
    u16(v: number): void {
        this.reserve(2);
        this.buf.writeUInt16LE(v, this.len);
        this.len += 2;
    }
    u32(v: number): void {
        this.reserve(4);
        this.buf.writeUInt32LE(v, this.len);
        this.len += 4;
    }
    i32(v: number): void {
        this.reserve(4);
        this.buf.writeInt32LE(v, this.len);
        this.len += 4;
    }
    f32(v: number): void {
        this.reserve(4);
        this.buf.writeFloatLE(v, this.len);
        this.len += 4;
    }
    u64(v: bigint | number): void {
        this.reserve(8);
        this.buf.writeBigUInt64LE(BigInt(v), this.len);
        this.len += 8;
    }
    string(s: string): void {
        const bytes = Buffer.from(s, 'utf8');
        this.u64(bytes.length);
        this.reserve(bytes.length);
        bytes.copy(this.buf, this.len);
        this.len += bytes.length;
    }
    /** Appends `n` bytes that `fill` writes into the buffer at the given offset. */
    bytes(n: number, fill: (buf: Buffer, at: number) => void): void {
        this.reserve(n);
        fill(this.buf, this.len);
        this.len += n;
    }
    padTo(alignment: number): void {
        while (this.len % alignment !== 0) this.u8(0);
    }
    toBuffer(): Buffer {
        return Buffer.from(this.buf.subarray(0, this.len));
    }
}

function checkInt(key: string, v: number, min: number, max: number): void {
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${key}: ${v} out of range`);
}

function writeValue(out: ByteSink, key: string, v: GgufValue): void {
    switch (v.kind) {
        case 'uint32':
            checkInt(key, v.value, 0, 0xffffffff);
            out.u32(ValueType.UINT32);
            out.u32(v.value);
            return;
        case 'int32':
            checkInt(key, v.value, -0x80000000, 0x7fffffff);
            out.u32(ValueType.INT32);
            out.i32(v.value);
            return;
        case 'float32':
            out.u32(ValueType.FLOAT32);
            out.f32(v.value);
            return;
        case 'bool':
            out.u32(ValueType.BOOL);
            out.u8(v.value ? 1 : 0);
            return;
        case 'string':
            out.u32(ValueType.STRING);
            out.string(v.value);
            return;
        case 'uint64':
            out.u32(ValueType.UINT64);
            out.u64(v.value);
            return;
        case 'string[]':
            out.u32(ValueType.ARRAY);
            out.u32(ValueType.STRING);
            out.u64(v.value.length);
            for (const s of v.value) out.string(s);
            return;
        case 'int32[]':
            out.u32(ValueType.ARRAY);
            out.u32(ValueType.INT32);
            out.u64(v.value.length);
            for (let i = 0; i < v.value.length; i++) {
                checkInt(key, v.value[i], -0x80000000, 0x7fffffff);
                out.i32(v.value[i]);
            }
            return;
        case 'float32[]':
            out.u32(ValueType.ARRAY);
            out.u32(ValueType.FLOAT32);
            out.u64(v.value.length);
            for (let i = 0; i < v.value.length; i++) out.f32(v.value[i]);
            return;
    }
}

function tensorBytes(t: GgufTensor): number {
    return (t.shape.reduce((a, b) => a * b, 1) / BLOCK_VALUES[t.type]) * BLOCK_BYTES[t.type];
}

/**
 * ggml's reference Q8_0 quantisation (ggml-quants.c quantize_row_q8_0_ref): per block of 32
 * values one f16 scale d = max|x| / 127 and 32 int8 values round(x / d).
 */
export function quantizeQ8_0(data: ArrayLike<number>, out: Buffer, at: number): void {
    for (let b = 0; b < data.length; b += 32) {
        let amax = 0;
        for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(data[b + i]));
        const d = amax / 127;
        const id = d === 0 ? 0 : 1 / d;
        out.writeUInt16LE(toFloat16Bits(d), at);
        for (let i = 0; i < 32; i++) out.writeInt8(Math.round(data[b + i] * id), at + 2 + i);
        at += 34;
    }
}

/** Serialise a complete GGUF v3 file into memory. */
export function encodeGguf(file: GgufFile): Buffer {
    const alignment = file.alignment ?? 32;
    if (alignment <= 0 || (alignment & (alignment - 1)) !== 0) throw new RangeError('alignment must be a power of two');
    const metadata = [...file.metadata];
    const keys = new Set<string>();
    for (const [k] of metadata) {
        if (keys.has(k)) throw new Error(`duplicate metadata key ${k}`);
        keys.add(k);
    }
    if (!keys.has('general.alignment')) metadata.push(['general.alignment', u32(alignment)]);

    const names = new Set<string>();
    for (const t of file.tensors) {
        if (names.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
        names.add(t.name);
        if (t.shape.length < 1 || t.shape.length > 4) throw new Error(`${t.name}: 1-4 dimensions required`);
        const n = t.shape.reduce((a, b) => a * b, 1);
        if (n !== t.data.length) throw new Error(`${t.name}: shape has ${n} elements, data ${t.data.length}`);
        if (t.shape[0] % BLOCK_VALUES[t.type] !== 0) throw new Error(`${t.name}: rows of ${t.shape[0]} do not split into ${t.type} blocks`);
    }

    const out = new ByteSink();
    out.u32(0x46554747); // "GGUF" read as a little-endian uint32
    out.u32(3);
    out.u64(file.tensors.length);
    out.u64(metadata.length);
    for (const [key, value] of metadata) {
        out.string(key);
        writeValue(out, key, value);
    }

    let offset = 0;
    for (const t of file.tensors) {
        out.string(t.name);
        out.u32(t.shape.length);
        for (const d of t.shape) out.u64(d);
        out.u32(GGML_TYPE[t.type]);
        out.u64(offset);
        offset += Math.ceil(tensorBytes(t) / alignment) * alignment;
    }
    out.padTo(alignment);

    for (const t of file.tensors) {
        if (t.type === 'F32') for (let i = 0; i < t.data.length; i++) out.f32(t.data[i]);
        else if (t.type === 'F16') for (let i = 0; i < t.data.length; i++) out.u16(toFloat16Bits(t.data[i]));
        else out.bytes(tensorBytes(t), (buf, at) => quantizeQ8_0(t.data, buf, at));
        out.padTo(alignment);
    }
    return out.toBuffer();
}
