import { SIMD_WASM_BASE64 } from './simd-kernel.generated';

/** The few WebAssembly globals used here (the engine's lib settings carry no DOM/wasm types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface KernelExports {
  readonly memory: WasmMemory;
  maxF32(ptr: number, n: number): number;
  minF32(ptr: number, n: number): number;
  collectAtLeast(ptr: number, n: number, threshold: number, out: number): number;
  compactAtLeast(ptr: number, n: number, threshold: number, out: number, values: number): number;
}

/**
 * WebAssembly SIMD scans for full-vocabulary passes (see simd.wat): the max and "indices of
 * values ≥ t" over 4 floats per instruction. Plain JS reads about one logit per
 * nanosecond here, which alone is slower than llama.cpp's whole top-k on 131k logits.
 * Values are copied into the module's memory first (a memcpy).
 */
export class SimdKernel {
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  private size = 0;

  constructor(private readonly k: KernelExports) {
    this.remap();
  }

  /** Copies `values` in; later calls scan them. */
  load(values: Float32Array): void {
    const n = values.length;
    const needed = 3 * this.outOffset(n);
    if (needed > this.k.memory.buffer.byteLength) {
      this.k.memory.grow(Math.ceil((needed - this.k.memory.buffer.byteLength) / 65536));
      this.remap();
    }
    this.f32.set(values);
    this.size = n;
  }

  /** Max of the loaded values; NaN if any is NaN. */
  max(): number {
    return this.k.maxF32(0, this.size);
  }

  /** Min of the loaded values; NaN if any is NaN. */
  min(): number {
    return this.k.minF32(0, this.size);
  }

  /**
   * Indices of loaded values ≥ threshold, ascending (a view, valid until the next call), or
   * undefined if any loaded value is NaN.
   */
  collectAtLeast(threshold: number): Int32Array | undefined {
    const out = this.outOffset(this.size);
    const count = this.k.collectAtLeast(0, this.size, f32AtLeast(threshold), out);
    return count < 0 ? undefined : this.i32.subarray(out / 4, out / 4 + count);
  }

  /** Copies the ids and values of loaded values ≥ threshold into `ids`/`values`; returns the count. */
  compactAtLeast(threshold: number, ids: Int32Array, values: Float32Array): number {
    const out = this.outOffset(this.size);
    const vals = out + this.outOffset(this.size);
    const count = this.k.compactAtLeast(0, this.size, f32AtLeast(threshold), out, vals);
    ids.set(this.i32.subarray(out / 4, out / 4 + count));
    values.set(this.f32.subarray(vals / 4, vals / 4 + count));
    return count;
  }

  private outOffset(n: number): number {
    return (n * 4 + 15) & ~15;
  }

  private remap(): void {
    this.f32 = new Float32Array(this.k.memory.buffer);
    this.i32 = new Int32Array(this.k.memory.buffer);
  }
}

const bits = new DataView(new ArrayBuffer(4));

/**
 * The smallest float32 ≥ t: for float32 x, x ≥ t exactly when x ≥ f32AtLeast(t), so the
 * kernel's float32 comparison agrees with the JS paths' float64 one.
 */
export function f32AtLeast(t: number): number {
  const f = Math.fround(t);
  if (f >= t || !Number.isFinite(f)) return f;
  bits.setFloat32(0, f);
  const u = bits.getUint32(0);
  bits.setUint32(0, f >= 0 ? u + 1 : u - 1); // one ulp towards +∞ (f < t, so f ≠ -0 here unless t > 0)
  return bits.getFloat32(0);
}

let shared: SimdKernel | undefined | null = null;
/** One kernel per thread (samplers run one at a time); undefined where WebAssembly SIMD is unavailable (the JS paths then run). */
export function simdKernel(): SimdKernel | undefined {
  if (shared !== null) return shared;
  try {
    const bytes = Buffer.from(SIMD_WASM_BASE64, 'base64');
    const valid = WebAssembly.validate(bytes);
    shared = valid ? new SimdKernel(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports) : undefined;
  } catch {
    shared = undefined;
  }
  return shared;
}
