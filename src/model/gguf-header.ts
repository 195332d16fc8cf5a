/**
 * A GGUF header reader that cannot run away: every count and length is checked against the bytes
 * the file has left before anything is read or allocated, and the walk stops at a deadline.
 * node-llama-cpp's reader trusts the counts (a tensor count of 100 in a file with 33 tensors reads
 * on past the end as if zeros followed, until memory runs out), so this runs first.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** GGUF value types (gguf.h). */
const enum T { U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 }
const FIXED_SIZE: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Smallest possible entries: a key-value pair (empty key, a one-byte value), a tensor (empty name, one dimension). */
const MIN_KV_BYTES = 8 + 4 + 1;
const MIN_TENSOR_BYTES = 8 + 4 + 8 + 4 + 8;
/** Array elements kept for checks; longer arrays (the vocabulary) are skipped over, not stored. */
const KEPT_ARRAY_LENGTH = 4096;

export class GgufHeaderError extends Error {
  override readonly name = 'GgufHeaderError';
  /** True when the file ended inside the header (a cut download) rather than holding nonsense. */
  constructor(message: string, readonly endsEarly = false) {
    super(message);
  }
}

export interface GgufValue {
  readonly type: number;
  /** Numbers, booleans and strings; arrays of them up to KEPT_ARRAY_LENGTH (undefined beyond). */
  readonly value: number | bigint | boolean | string | readonly (number | bigint | boolean | string)[] | undefined;
  /** Where the value's bytes start in the file (for tools that patch one). */
  readonly offset: number;
}

export interface GgufTensorEntry {
  readonly name: string;
  readonly dims: readonly bigint[];
  readonly type: number;
  readonly offset: bigint;
}

export interface GgufHeader {
  readonly version: number;
  readonly tensorCount: number;
  readonly kvCount: number;
  readonly values: ReadonlyMap<string, GgufValue>;
  readonly tensors: readonly GgufTensorEntry[];
  /** Bytes of the header, up to the alignment padding before tensor data. */
  readonly headerBytes: number;
  readonly fileBytes: number;
}

/** Reads a file forward in chunks, refusing any read past its end. */
class Cursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;

  constructor(private readonly fd: number, readonly size: number, private readonly deadline: number) {}

  left(): number {
    return this.size - this.pos;
  }

  bytes(n: number, what: string): Buffer {
    if (n > this.left()) throw new GgufHeaderError(`${what} at byte ${this.pos} needs ${n} bytes, but the file ends ${this.left()} bytes later`, true);
    const end = this.pos + n;
    if (end > this.bufStart + this.buf.length) {
      if (Date.now() > this.deadline) throw new GgufHeaderError('reading the header took too long');
      const chunk = Buffer.alloc(Math.max(n, 1 << 20));
      const read = readSync(this.fd, chunk, 0, Math.min(chunk.length, this.size - this.pos), this.pos);
      this.buf = chunk.subarray(0, read);
      this.bufStart = this.pos;
    }
    const at = this.pos - this.bufStart;
    this.pos = end;
    return this.buf.subarray(at, at + n);
  }

  u32(what: string): number {
    return this.bytes(4, what).readUInt32LE(0);
  }

  u64(what: string): bigint {
    return this.bytes(8, what).readBigUInt64LE(0);
  }

  /** A u64 count, refused when `minBytesEach` of them cannot fit in what the file has left. */
  count(what: string, minBytesEach: number): number {
    const n = this.u64(what);
    if (n > BigInt(Math.floor(this.left() / minBytesEach))) {
      throw new GgufHeaderError(`its ${what} is ${n}, more than the ${this.left()} bytes left in the file can hold`, true);
    }
    return Number(n);
  }

  string(what: string): string {
    const n = this.count(`${what} length`, 1);
    return this.bytes(n, what).toString('utf8');
  }

  scalar(type: number, what: string): number | bigint | boolean | string {
    if (type === T.STRING) return this.string(what);
    const size = FIXED_SIZE[type];
    if (size === undefined) throw new GgufHeaderError(`${what} has an unknown value type ${type}`);
    const b = this.bytes(size, what);
    switch (type) {
      case T.U8: return b.readUInt8(0);
      case T.I8: return b.readInt8(0);
      case T.U16: return b.readUInt16LE(0);
      case T.I16: return b.readInt16LE(0);
      case T.U32: return b.readUInt32LE(0);
      case T.I32: return b.readInt32LE(0);
      case T.F32: return b.readFloatLE(0);
      case T.BOOL: return b.readUInt8(0) !== 0;
      case T.U64: return b.readBigUInt64LE(0);
      case T.I64: return b.readBigInt64LE(0);
      default: return b.readDoubleLE(0);
    }
  }

  skip(n: number, what: string): void {
    if (n > this.left()) throw new GgufHeaderError(`${what} at byte ${this.pos} needs ${n} bytes, but the file ends ${this.left()} bytes later`);
    this.pos += n;
  }
}

/**
 * The header of the GGUF file at `path`, read within `timeLimitMs`. Throws GgufHeaderError (the
 * reason, without the path) when a count or length does not fit the file, a type is unknown, or
 * time runs out.
 */
export function readGgufHeader(path: string, timeLimitMs = 5000): GgufHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size, Date.now() + timeLimitMs);
    const magic = c.bytes(4, 'the magic').toString('latin1');
    if (magic !== 'GGUF') throw new GgufHeaderError(`it starts with ${JSON.stringify(magic)}, not "GGUF"`);
    const version = c.u32('the version');
    if (version < 2 || version > 3) throw new GgufHeaderError(`its GGUF version is ${version}; llama.cpp reads versions 2 and 3`);
    const tensorCount = c.count('tensor count', MIN_TENSOR_BYTES);
    const kvCount = c.count('key-value count', MIN_KV_BYTES);
    if (tensorCount * MIN_TENSOR_BYTES + kvCount * MIN_KV_BYTES > c.left()) {
      throw new GgufHeaderError(`its ${tensorCount} tensors and ${kvCount} key-value pairs cannot fit in its ${size} bytes`, true);
    }
    const values = new Map<string, GgufValue>();
    for (let i = 0; i < kvCount; i++) {
      const key = c.string(`key ${i}`);
      const type = c.u32(`the type of ${key}`);
      const offset = c.pos;
      values.set(key, { type, offset, value: readValue(c, type, key) });
    }
    const tensors: GgufTensorEntry[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = c.string(`tensor ${i}'s name`);
      const nDims = c.u32(`${name}'s dimension count`);
      if (nDims < 1 || nDims > 4) throw new GgufHeaderError(`tensor ${i} of ${tensorCount} (${JSON.stringify(name.slice(0, 40))}) has ${nDims} dimensions; GGUF allows 1 to 4`);
      const dims = Array.from({ length: nDims }, () => c.u64(`${name}'s dimensions`));
      const type = c.u32(`${name}'s type`);
      tensors.push({ name, dims, type, offset: c.u64(`${name}'s offset`) });
    }
    return { version, tensorCount, kvCount, values, tensors, headerBytes: c.pos, fileBytes: size };
  } finally {
    closeSync(fd);
  }
}

function readValue(c: Cursor, type: number, key: string): GgufValue['value'] {
  if (type !== T.ARRAY) return c.scalar(type, key);
  const itemType = c.u32(`${key}'s item type`);
  if (itemType === T.ARRAY) throw new GgufHeaderError(`${key} is an array of arrays, which llama.cpp does not read`);
  const itemSize = FIXED_SIZE[itemType];
  const length = c.count(`${key}'s length`, itemSize ?? 8);
  if (itemSize !== undefined && length > KEPT_ARRAY_LENGTH) {
    c.skip(length * itemSize, key);
    return undefined;
  }
  const items = [];
  for (let i = 0; i < length; i++) {
    if (i < KEPT_ARRAY_LENGTH) items.push(c.scalar(itemType, key));
    else c.skip(c.count(`${key}'s item length`, 1), key);
  }
  return length > KEPT_ARRAY_LENGTH ? undefined : items;
}
