/**
 * Fill-in-the-middle: which tokens a model uses to mark prefix, suffix and middle, and how a
 * prefix/suffix pair becomes prompt tokens. Pure over a small vocabulary view, so each family is
 * testable without loading llama.cpp.
 */

import { budgetPrompt } from './prompt-budget';

export type FimFamily = 'qwen' | 'deepseek' | 'codellama' | 'starcoder' | 'codestral' | 'other';

export interface VocabView {
  /** FIM ids llama.cpp resolved: GGUF metadata ids first, then its own list of spellings. */
  readonly llamaFim: { readonly prefix: number | null; readonly suffix: number | null; readonly middle: number | null };
  readonly bos: number | null;
  readonly addBos: boolean;
  /** Ids of the vocabulary entries whose text is exactly one of `spellings`. */
  findTokens(spellings: readonly string[]): ReadonlyMap<string, number>;
  /** The vocabulary entry's text, as stored in the GGUF. */
  tokenPiece(id: number): string;
  /** A token's text as detokenizing it alone gives (partial UTF-8 characters come out lossy). */
  tokenText(id: number): string;
  /** Plain text to tokens: no BOS, and special-token spellings in the text stay plain text. */
  tokenize(text: string): number[];
}

export interface FimFormat {
  readonly family: FimFamily;
  readonly prefix: number;
  readonly suffix: number;
  /** Codestral has no middle marker: generation starts right after the prefix. */
  readonly middle: number | null;
  /** psm: PRE prefix SUF suffix MID; spm: SUF suffix PRE prefix (Codestral). */
  readonly order: 'psm' | 'spm';
  /** Tokens that end a FIM completion beyond llama.cpp's own end-of-generation set. */
  readonly endTokens: readonly number[];
  readonly source: 'llama.cpp' | 'spelling';
  /** Repository-level markers (Qwen2.5-Coder: `<|repo_name|>`, `<|file_sep|>`), or null. */
  readonly repository: { readonly repoName: number; readonly fileSep: number } | null;
}

interface FamilySpelling {
  readonly family: Exclude<FimFamily, 'other'>;
  readonly prefix: readonly string[];
  readonly suffix: readonly string[];
  readonly middle: readonly string[] | null;
  readonly order: 'psm' | 'spm';
  readonly ends: readonly string[];
  /** Repository-level format markers, where the family documents one (llama.cpp's infill uses Qwen's). */
  readonly repository?: { readonly repoName: readonly string[]; readonly fileSep: readonly string[] };
}

/** Spellings from the models' tokenizer configs (and llama.cpp's src/llama-vocab.cpp). */
export const FIM_FAMILIES: readonly FamilySpelling[] = [
  {
    family: 'qwen', order: 'psm',
    prefix: ['<|fim_prefix|>'], suffix: ['<|fim_suffix|>'], middle: ['<|fim_middle|>'],
    ends: ['<|endoftext|>', '<|fim_pad|>', '<|file_sep|>', '<|repo_name|>', '<|im_end|>'],
    repository: { repoName: ['<|repo_name|>'], fileSep: ['<|file_sep|>'] },
  },
  {
    family: 'deepseek', order: 'psm',
    prefix: ['<｜fim▁begin｜>'], suffix: ['<｜fim▁hole｜>'], middle: ['<｜fim▁end｜>'],
    ends: ['<｜end▁of▁sentence｜>', '<|EOT|>'],
  },
  {
    family: 'codellama', order: 'psm',
    prefix: ['▁<PRE>', '<PRE>'], suffix: ['▁<SUF>', '<SUF>'], middle: ['▁<MID>', '<MID>'],
    ends: ['▁<EOT>', '<EOT>', '</s>'],
  },
  {
    family: 'starcoder', order: 'psm',
    prefix: ['<fim_prefix>', '<fim-prefix>'], suffix: ['<fim_suffix>', '<fim-suffix>'], middle: ['<fim_middle>', '<fim-middle>'],
    ends: ['<|endoftext|>', '<file_sep>', '<fim_pad>', '<fim-pad>'],
  },
  {
    family: 'codestral', order: 'spm',
    prefix: ['[PREFIX]'], suffix: ['[SUFFIX]'], middle: null,
    ends: ['</s>'],
  },
];

const allSpellings = FIM_FAMILIES.flatMap((f) => [
  ...f.prefix, ...f.suffix, ...(f.middle ?? []), ...f.ends, ...(f.repository?.repoName ?? []), ...(f.repository?.fileSep ?? []),
]);

function repository(found: ReadonlyMap<string, number>, family: FamilySpelling | undefined): FimFormat['repository'] {
  if (family?.repository === undefined) return null;
  const repoName = first(found, family.repository.repoName);
  const fileSep = first(found, family.repository.fileSep);
  return repoName === undefined || fileSep === undefined ? null : { repoName, fileSep };
}

function first(found: ReadonlyMap<string, number>, spellings: readonly string[]): number | undefined {
  for (const s of spellings) {
    const id = found.get(s);
    if (id !== undefined) return id;
  }
  return undefined;
}

function ends(found: ReadonlyMap<string, number>, family: FamilySpelling | undefined, markers: readonly (number | null)[]): number[] {
  const ids = new Set<number>();
  for (const s of family?.ends ?? []) {
    const id = found.get(s);
    if (id !== undefined) ids.add(id);
  }
  // A model that emits a FIM marker inside the middle has started a new document: the middle is over.
  for (const m of markers) if (m !== null) ids.add(m);
  return [...ids];
}

/** The model's FIM format, or null when it has none (then completion is prefix-only). */
export function detectFim(vocab: VocabView): FimFormat | null {
  const found = vocab.findTokens(allSpellings);
  const { prefix, suffix, middle } = vocab.llamaFim;
  if (prefix !== null && suffix !== null && middle !== null) {
    const piece = vocab.tokenPiece(prefix);
    const family = FIM_FAMILIES.find((f) => f.prefix.includes(piece));
    // Codestral's vocabulary has a [MIDDLE] token (metadata may name it), but its format never uses it.
    const mid = family?.middle === null ? null : middle;
    return {
      family: family?.family ?? 'other', prefix, suffix, middle: mid, order: family?.order ?? 'psm',
      endTokens: ends(found, family, [prefix, suffix, middle]), source: 'llama.cpp', repository: repository(found, family),
    };
  }
  for (const f of FIM_FAMILIES) {
    const p = first(found, f.prefix);
    const s = first(found, f.suffix);
    const m = f.middle === null ? null : first(found, f.middle);
    if (p === undefined || s === undefined || m === undefined) continue;
    return {
      family: f.family, prefix: p, suffix: s, middle: m, order: f.order, endTokens: ends(found, f, [p, s, m]), source: 'spelling',
      repository: repository(found, f),
    };
  }
  return null;
}

export interface CompletionPrompt {
  readonly tokens: readonly number[];
  /** Whether the suffix is in the prompt (false: the model has no FIM tokens, prefix only). */
  readonly fim: boolean;
  readonly droppedPrefixTokens: number;
  readonly droppedSuffixTokens: number;
  /** First line of the prefix in the prompt, when the prefix starts at a line (stable layout only). */
  readonly topLine?: number;
  /** Tokens at the end of the prompt that are the text right before the cursor (stable layout only; token healing re-types the last). */
  readonly middleTokens?: number;
}

export interface CompletionPromptOptions {
  readonly contextSize: number;
  /** Tokens kept free for the completion. */
  readonly maxNewTokens: number;
  readonly suffixShare?: number;
}

/**
 * The layout before the stable one (src/model/prompt-layout.ts), kept for side-by-side
 * benchmarks and evaluation: prefix and suffix as two texts, the prefix cut by tokens from its
 * top, so that its first token moves with every typed character.
 */
export function buildCompletionPrompt(
  vocab: VocabView, fim: FimFormat | null, prefix: string, suffix: string, options: CompletionPromptOptions,
): CompletionPrompt {
  const bos = vocab.addBos && vocab.bos !== null ? [vocab.bos] : [];
  const prefixTokens = vocab.tokenize(prefix);
  const useFim = fim !== null;
  const suffixTokens = useFim ? vocab.tokenize(suffix) : [];
  const fixed = bos.length + (useFim ? 2 + (fim.middle === null ? 0 : 1) : 0);
  const cut = budgetPrompt(prefixTokens, suffixTokens, {
    contextSize: options.contextSize, reserveForGeneration: options.maxNewTokens, fixedTokens: fixed, suffixShare: options.suffixShare,
  });
  let tokens: number[];
  if (!useFim) tokens = [...bos, ...cut.prefix];
  else if (fim.order === 'spm') tokens = [...bos, fim.suffix, ...cut.suffix, fim.prefix, ...cut.prefix];
  else tokens = [...bos, fim.prefix, ...cut.prefix, fim.suffix, ...cut.suffix];
  if (useFim && fim.middle !== null) tokens.push(fim.middle);
  return { tokens, fim: useFim, droppedPrefixTokens: cut.droppedPrefixTokens, droppedSuffixTokens: useFim ? cut.droppedSuffixTokens : 0 };
}
