/**
 * The process-wide node-llama-cpp instance. It is ESM and we compile to CommonJS, hence the dynamic
 * import. One instance serves every model: its native bindings load once, and its log goes into a
 * ring buffer so that a failed load can quote what llama.cpp said instead of "Failed to load model".
 */

import type { Llama } from 'node-llama-cpp';
import type { BackendName } from './threads';

export type NodeLlamaCpp = typeof import('node-llama-cpp');
export type LogSink = (level: string, message: string) => void;

export interface LlamaRuntime {
  readonly lib: NodeLlamaCpp;
  readonly llama: Llama;
  readonly backend: BackendName;
  /** Log lines since `mark` (a value from `logMark()`), oldest first. */
  logSince(mark: number): string[];
  logMark(): number;
}

const RING_SIZE = 200;
const ring: { seq: number; line: string }[] = [];
let nextSeq = 0;
let sink: LogSink | undefined;

/** Where llama.cpp's warnings and errors go besides the ring buffer (e.g. an output channel). */
export function setLogSink(next: LogSink | undefined): void {
  sink = next;
}

function record(level: string, message: string): void {
  const line = `${level}: ${message.trim()}`;
  ring.push({ seq: nextSeq++, line });
  if (ring.length > RING_SIZE) ring.shift();
  sink?.(level, message);
}

let libPromise: Promise<NodeLlamaCpp> | undefined;
export function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  libPromise ??= import('node-llama-cpp');
  return libPromise;
}

const runtimes = new Map<string, Promise<LlamaRuntime>>();

export type GpuChoice = 'auto' | false | 'cuda' | 'vulkan' | 'metal';

/** `gpu: 'auto'` takes CUDA, Vulkan or Metal when their prebuilt binaries load, else the CPU; a named kind must load. */
export function getRuntime(gpu: GpuChoice = 'auto'): Promise<LlamaRuntime> {
  const key = String(gpu);
  let runtime = runtimes.get(key);
  if (runtime === undefined) {
    runtime = createRuntime(gpu);
    runtimes.set(key, runtime);
    runtime.catch(() => runtimes.delete(key));
  }
  return runtime;
}

async function createRuntime(gpu: GpuChoice): Promise<LlamaRuntime> {
  const lib = await importNodeLlamaCpp();
  const llama = await lib.getLlama({
    gpu,
    // Compiling llama.cpp at run time would take minutes and needs a toolchain the user may lack.
    build: 'never',
    logLevel: lib.LlamaLogLevel.warn,
    logger: record,
    // Thread counts are set per context (see threads.ts); 0 lifts node-llama-cpp's global cap.
    maxThreads: 0,
  });
  return {
    lib,
    llama,
    backend: llama.gpu === false ? 'cpu' : llama.gpu,
    logMark: () => nextSeq,
    logSince: (mark) => ring.filter((e) => e.seq >= mark).map((e) => e.line),
  };
}

/** llama.cpp logs from its worker threads; let those lines arrive before reading the ring. */
export function flushLog(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
