/**
 * The server model's vocabulary on this side of the connection: every token's text (read once,
 * in a few /detokenize calls), the special tokens the prompt layout needs, and a tokenizer whose
 * results are cached so the prompt layout can stay synchronous: texts are tokenized by the server
 * ahead of a build (`ensure`), and the build then reads them from the cache.
 */

import type { VocabView } from '../fim';
import { ServerCapabilityError } from './errors';
import type { ServerClient } from './http';

/** Tokens per /detokenize call when reading the vocabulary. */
const VOCAB_CHUNK = 16_384;
/** /tokenize calls in flight at once while preparing a prompt. */
const TOKENIZE_CONCURRENCY = 8;
const TOKENIZED_ENTRIES = 1024;

/**
 * Spellings llama.cpp counts as end of generation (src/llama-vocab.cpp); the server does not
 * list its set, so it is matched here by text, as llama.cpp itself does.
 */
const END_SPELLINGS = [
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<end_of_turn>', '<|endoftext|>', '</s>', '<|eom_id|>', '<EOT>', '_<EOT>',
  '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<｜end▁of▁sentence｜>', '<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<|repo_name|>', '<|file_sep|>',
];

export class ServerVocabulary implements VocabView {
  readonly llamaFim = { prefix: null, suffix: null, middle: null };
  private readonly tokenized = new Map<string, number[]>();
  /** Bytes of tokens whose text alone is not valid UTF-8, as the server's responses gave them. */
  private readonly bytes = new Map<number, Uint8Array>();
  private readonly byText: Map<string, number>;

  private constructor(
    private readonly client: ServerClient,
    private readonly texts: readonly string[],
    readonly bos: number | null,
    readonly addBos: boolean,
    readonly eos: number | null,
  ) {
    this.byText = new Map();
    texts.forEach((text, id) => {
      if (!this.byText.has(text)) this.byText.set(text, id);
    });
  }

  static async read(client: ServerClient, vocabSize: number, eosText: string, signal?: AbortSignal): Promise<ServerVocabulary> {
    const special = async (text: string) => {
      if (!text) return null;
      const { tokens } = await client.post<{ tokens: number[] }>('/tokenize', { content: text, add_special: false, parse_special: true }, signal);
      return tokens.length === 1 ? tokens[0]! : null;
    };
    const eos = await special(eosText);
    if (eos === null) throw new ServerCapabilityError(client.url, `The model at ${client.url} has no end-of-sequence token that TokenTree can find, so its vocabulary cannot be read.`);
    const texts = await readTexts(client, vocabSize, eos, eosText, signal);
    const plain = await client.post<{ tokens: number[] }>('/tokenize', { content: 'a', add_special: false, parse_special: false }, signal);
    const withSpecial = await client.post<{ tokens: number[] }>('/tokenize', { content: 'a', add_special: true, parse_special: false }, signal);
    const addBos = withSpecial.tokens.length > plain.tokens.length && withSpecial.tokens[0] !== plain.tokens[0];
    return new ServerVocabulary(client, texts, addBos ? withSpecial.tokens[0]! : null, addBos, eos);
  }

  get size(): number {
    return this.texts.length;
  }

  /** The end-of-generation ids by llama.cpp's spellings, with the end-of-sequence token. */
  endTokens(): Set<number> {
    const ends = new Set<number>(this.eos === null ? [] : [this.eos]);
    for (const id of this.findTokens(END_SPELLINGS).values()) ends.add(id);
    return ends;
  }

  findTokens(spellings: readonly string[]): ReadonlyMap<string, number> {
    const found = new Map<string, number>();
    for (const s of spellings) {
      const id = this.byText.get(s);
      if (id !== undefined && !found.has(s)) found.set(s, id);
    }
    return found;
  }

  tokenPiece(id: number): string {
    return this.texts[id] ?? '';
  }

  tokenText(id: number): string {
    return this.texts[id] ?? '';
  }

  /** Records a token's bytes from a response (only those whose text alone decodes lossily). */
  learnBytes(id: number, bytes: readonly number[] | undefined): void {
    if (bytes && !this.bytes.has(id) && this.texts[id]?.includes('\uFFFD')) this.bytes.set(id, Uint8Array.from(bytes));
  }

  /** A token's bytes: as a response gave them where its text alone decodes lossily, else its text's. */
  bytesOf(id: number): Uint8Array {
    return this.bytes.get(id) ?? Buffer.from(this.texts[id] ?? '', 'utf8');
  }

  /** A token sequence's text, joining bytes so a character split across tokens decodes whole. */
  detokenize(tokens: readonly number[]): string {
    if (!tokens.some((t) => this.bytes.has(t))) return tokens.map((t) => this.texts[t] ?? '').join('');
    const parts = tokens.map((t) => this.bytes.get(t) ?? Buffer.from(this.texts[t] ?? '', 'utf8'));
    return Buffer.concat(parts).toString('utf8');
  }

  /** Tokens of a text tokenized by `ensure` beforehand; the prompt layout calls it synchronously. */
  tokenize(text: string): number[] {
    const tokens = this.tokenized.get(text);
    if (tokens === undefined) throw new Error(`Internal error: "${text.slice(0, 40)}" was not tokenized by the server before the prompt was built`);
    return tokens;
  }

  /** Has the server tokenize the texts not yet cached (plain text: no BOS, no special tokens). */
  async ensure(texts: Iterable<string>, signal?: AbortSignal): Promise<void> {
    const missing = [...new Set(texts)].filter((t) => t !== '' && !this.tokenized.has(t));
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const text = missing[next++]!;
        const { tokens } = await this.client.post<{ tokens: number[] }>('/tokenize', { content: text, add_special: false, parse_special: false }, signal);
        this.tokenized.set(text, tokens);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TOKENIZE_CONCURRENCY, missing.length) }, worker));
    while (this.tokenized.size > TOKENIZED_ENTRIES) this.tokenized.delete(this.tokenized.keys().next().value!);
  }
}

/**
 * Every token's text, as detokenizing it alone gives: chunks of ids interleaved with the
 * end-of-sequence token, whose text then splits the answer (llama-server's /detokenize joins
 * the tokens' pieces with nothing between).
 */
async function readTexts(client: ServerClient, vocabSize: number, separator: number, separatorText: string, signal?: AbortSignal): Promise<string[]> {
  const chunks: Promise<string[]>[] = [];
  for (let from = 0; from < vocabSize; from += VOCAB_CHUNK) {
    const ids = Array.from({ length: Math.min(VOCAB_CHUNK, vocabSize - from) }, (_, i) => from + i);
    chunks.push(client.post<{ content: string }>('/detokenize', { tokens: ids.flatMap((id) => [id, separator]) }, signal).then(({ content }) => {
      const parts = content.split(separatorText);
      // The separator's own id gives two empty neighbours in the split; the text is the separator's.
      const out: string[] = [];
      let p = 0;
      for (const id of ids) {
        if (id === separator) {
          out.push(separatorText);
          p += 2;
        } else out.push(parts[p++] ?? '');
      }
      if (p !== parts.length - 1) {
        throw new ServerCapabilityError(client.url, `The vocabulary read from ${client.url} did not split into one text per token (a token's text contains the end-of-sequence text?).`);
      }
      return out;
    }));
  }
  return (await Promise.all(chunks)).flat();
}
