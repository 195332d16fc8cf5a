/**
 * Code models that complete in the middle (FIM), by hardware tier, as llama.vscode offers them.
 * Sizes are the GGUF files' (approximate, for the picker before any header is read); the memory
 * check reads the real header (fit.ts) and gives each its fit verdict on this machine.
 *
 * Where each repository was checked (no hub can be reached where TokenTree is built, so the tests
 * check the URIs' form only):
 * - ggml-org Qwen2.5-Coder 0.5B/1.5B/3B/7B/14B Q8_0 and Qwen3-Coder-30B-A3B Q8_0: llama.cpp's own
 *   `--fim-qwen-*` presets (common/arg.cpp) and llama.vscode's model list.
 * - bartowski/Qwen2.5-Coder-7B-GGUF and TheBloke/deepseek-coder-1.3b-base-GGUF: llama.vscode's list.
 * - second-state/StarCoder2-3B-GGUF: the StarCoder2 3B GGUF with the best evidence of FIM use
 *   (its model card's prompt format). Codestral 22B is not offered: its GGUF has no FIM tokens
 *   llama.cpp finds, and its licence forbids production use (a pasted URI still works).
 */

export interface ModelPreset {
  readonly id: string;
  readonly name: string;
  /** node-llama-cpp model URI: `hf:<user>/<repo>:<quant>` picks that quantisation's file. */
  readonly uri: string;
  /** Approximate file size, bytes. */
  readonly sizeBytes: number;
  readonly note: string;
}

const GB = 1e9;

export const MODEL_PRESETS: readonly ModelPreset[] = [
  { id: 'qwen2.5-coder-0.5b', name: 'Qwen2.5-Coder 0.5B Q8_0', uri: 'hf:ggml-org/Qwen2.5-Coder-0.5B-Q8_0-GGUF:Q8_0', sizeBytes: 0.53 * GB, note: 'any machine; fast on CPU' },
  { id: 'qwen2.5-coder-1.5b', name: 'Qwen2.5-Coder 1.5B Q8_0', uri: 'hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF:Q8_0', sizeBytes: 1.65 * GB, note: 'laptops; a good default with a GPU' },
  { id: 'qwen2.5-coder-3b', name: 'Qwen2.5-Coder 3B Q8_0', uri: 'hf:ggml-org/Qwen2.5-Coder-3B-Q8_0-GGUF:Q8_0', sizeBytes: 3.29 * GB, note: 'GPUs with 6 GB or more' },
  { id: 'qwen2.5-coder-7b', name: 'Qwen2.5-Coder 7B Q8_0', uri: 'hf:ggml-org/Qwen2.5-Coder-7B-Q8_0-GGUF:Q8_0', sizeBytes: 8.1 * GB, note: 'GPUs with 12 GB or more' },
  { id: 'qwen2.5-coder-7b-q4', name: 'Qwen2.5-Coder 7B Q4_K_M', uri: 'hf:bartowski/Qwen2.5-Coder-7B-GGUF:Q4_K_M', sizeBytes: 4.68 * GB, note: 'GPUs with 8 GB' },
  { id: 'deepseek-coder-1.3b', name: 'DeepSeek-Coder 1.3B base Q8_0', uri: 'hf:TheBloke/deepseek-coder-1.3b-base-GGUF:Q8_0', sizeBytes: 1.43 * GB, note: 'laptops' },
  { id: 'starcoder2-3b', name: 'StarCoder2 3B Q8_0', uri: 'hf:second-state/StarCoder2-3B-GGUF:Q8_0', sizeBytes: 3.22 * GB, note: 'GPUs with 6 GB or more' },
  { id: 'qwen2.5-coder-14b', name: 'Qwen2.5-Coder 14B Q8_0', uri: 'hf:ggml-org/Qwen2.5-Coder-14B-Q8_0-GGUF:Q8_0', sizeBytes: 15.7 * GB, note: 'GPUs with 24 GB or more' },
  { id: 'qwen3-coder-30b-a3b', name: 'Qwen3-Coder 30B-A3B Q8_0', uri: 'hf:ggml-org/Qwen3-Coder-30B-A3B-Instruct-Q8_0-GGUF:Q8_0', sizeBytes: 32.5 * GB, note: 'machines with more than 64 GB; 3B active parameters, so fast for its size' },
];

export function findPreset(idOrUri: string): ModelPreset | undefined {
  return MODEL_PRESETS.find((p) => p.id === idOrUri);
}
