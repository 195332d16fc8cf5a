/**
 * Whether the memory a model needs fits this machine: the verdict the picker and the CLI show,
 * apart from how the need is estimated (fit.ts), so the editor can use it without llama.cpp.
 */

import { totalmem } from 'node:os';

export type FitVerdict = 'fits' | 'tight' | "won't fit";

/** The memory a model has to live in: the GPU's when a GPU build found a device, else RAM. */
export interface MemoryBudget {
  readonly kind: 'VRAM' | 'RAM';
  readonly totalBytes: number;
  /** RAM as well, where a model too big for VRAM can spill its remaining layers. */
  readonly ramBytes: number;
}

export interface ModelFit {
  readonly source: string;
  /** Memory the model and TokenTree's context need, in the budget's kind of memory. */
  readonly neededBytes: number;
  readonly verdict: FitVerdict;
  /** 'header': node-llama-cpp's insights from the GGUF header; 'file size': the header could not be read. */
  readonly basis: 'header' | 'file size';
  /** Why the header could not be read (basis 'file size'). */
  readonly headerError?: string;
}

/**
 * Shares of memory a model may take and still leave the editor, the OS and other programs room:
 * RAM is shared with everything, VRAM mostly with a desktop.
 */
const COMFORTABLE = { RAM: 0.5, VRAM: 0.85 } as const;
const AT_MOST = { RAM: 0.8, VRAM: 1 } as const;
/**
 * Without a header: the weights, plus KV cache and compute buffers, which grow with the model but
 * have a floor (TokenTree keeps 16 branches of up to 2,048 tokens each).
 */
export const estimateFromFileSize = (sizeBytes: number) => sizeBytes * 1.2 + 0.5e9;

/** The budget for what a GPU probe found: its VRAM when it found a device, else this machine's RAM. */
export function memoryBudget(gpu: { readonly devices: readonly string[]; readonly vram?: { readonly total: number } }, ramBytes = totalmem()): MemoryBudget {
  return gpu.devices.length > 0 && gpu.vram ? { kind: 'VRAM', totalBytes: gpu.vram.total, ramBytes } : { kind: 'RAM', totalBytes: ramBytes, ramBytes };
}

export function verdictFor(neededBytes: number, budget: MemoryBudget): FitVerdict {
  if (neededBytes <= COMFORTABLE[budget.kind] * budget.totalBytes) return 'fits';
  if (neededBytes <= AT_MOST[budget.kind] * budget.totalBytes) return 'tight';
  // Layers that do not fit in VRAM run from RAM: slower, but it runs.
  if (budget.kind === 'VRAM' && neededBytes <= budget.totalBytes + AT_MOST.RAM * budget.ramBytes) return 'tight';
  return "won't fit";
}
