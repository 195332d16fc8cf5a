/**
 * Checks a model file before llama.cpp sees it. llama.cpp reports most bad files only through its
 * log and a generic "Failed to load model", and some (no output head) load fine and fail later at
 * the first token; checking here gives each case its own error with the path in the message.
 */

import { open, stat } from 'node:fs/promises';
import type { GgufFileInfo } from 'node-llama-cpp';
import { ModelFileError, NoGenerationHeadError } from './errors';
import { GgufHeaderError, readGgufHeader, type GgufHeader } from './gguf-header';
import { hyperparameterProblem } from './gguf-hparams';

/** Longest the header check may take (a header is read in well under a second even for large vocabularies). */
const HEADER_TIME_LIMIT_MS = 10_000;

/** Architectures llama.cpp runs as encoders: they yield embeddings, never next-token logits. */
export const ENCODER_ONLY_ARCHITECTURES: ReadonlySet<string> = new Set([
  'bert', 'modern-bert', 'nomic-bert', 'nomic-bert-moe', 'neo-bert', 'jina-bert-v2', 'jina-bert-v3',
  'eurobert', 't5encoder', 'llama-embed', 'clip', 'wavtokenizer-dec',
]);

/** [bytes per block, elements per block] of the ggml types models ship in; others are not size-checked. */
const GGML_BLOCKS: Readonly<Record<number, readonly [number, number]>> = {
  0: [4, 1], 1: [2, 1], 30: [2, 1], 28: [8, 1], 24: [1, 1], 25: [2, 1], 26: [4, 1], 27: [8, 1], // F32 F16 BF16 F64 I8..I64
  2: [18, 32], 3: [20, 32], 6: [22, 32], 7: [24, 32], 8: [34, 32], 9: [36, 32], // Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1
  10: [84, 256], 11: [110, 256], 12: [144, 256], 13: [176, 256], 14: [210, 256], 15: [292, 256], // Q2_K..Q8_K
};

export interface ModelFileSummary {
  readonly path: string;
  readonly sizeBytes: number;
  readonly architecture: string;
  readonly info: GgufFileInfo;
}

export type GgufReader = (path: string) => Promise<GgufFileInfo>;

export async function checkModelFile(path: string, readInfo: GgufReader, checks: { header: boolean } = { header: true }): Promise<ModelFileSummary> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) {
      throw new ModelFileError(path, 'not-a-file', `The model path ${path} is ${st.isDirectory() ? 'a directory' : 'not a regular file'}; point it at a .gguf file.`);
    }
    size = st.size;
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ModelFileError(path, 'missing', `Model file not found: ${path}`, { cause: err });
    }
    throw new ModelFileError(path, 'unreadable', `Cannot read the model file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const magic = await readMagic(path);
  if (magic !== 'GGUF') {
    throw new ModelFileError(path, size < 4 ? 'truncated' : 'not-gguf', size < 4
      ? `${path} is too short (${size} bytes) to be a GGUF model file.`
      : `${path} is not a GGUF model file (it starts with ${JSON.stringify(magic)}, not "GGUF"); llama.cpp needs a .gguf model.`);
  }
  if (checks.header) checkHeader(path);
  let info: GgufFileInfo;
  try {
    info = await readInfo(path);
  } catch (err) {
    throw new ModelFileError(path, 'truncated', `${path} is a damaged or truncated GGUF file: its header cannot be read (${(err as Error).message}).`, { cause: err });
  }
  checkTensorBounds(path, size, info);
  const architecture = String(info.metadata?.general?.architecture ?? 'unknown');
  checkGenerationHead(path, architecture, info);
  return { path, sizeBytes: size, architecture, info };
}

/** The bounded header walk and the hyper-parameters llama.cpp asserts on (gguf-header.ts, gguf-hparams.ts). */
function checkHeader(path: string): void {
  let header: GgufHeader;
  try {
    header = readGgufHeader(path, HEADER_TIME_LIMIT_MS);
  } catch (err) {
    if (!(err instanceof GgufHeaderError)) throw new ModelFileError(path, 'unreadable', `Cannot read the model file ${path}: ${(err as Error).message}`, { cause: err });
    throw new ModelFileError(path, err.endsEarly ? 'truncated' : 'corrupt', `${path} is a ${err.endsEarly ? 'truncated or damaged' : 'damaged'} GGUF file: ${err.message}.`, { cause: err });
  }
  const problem = hyperparameterProblem(header);
  if (problem !== undefined) {
    throw new ModelFileError(path, 'bad-hyperparameters', `${path} cannot be loaded: ${problem} (llama.cpp would abort on it).`);
  }
}

async function readMagic(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}

function checkTensorBounds(path: string, size: number, info: GgufFileInfo): void {
  // node-llama-cpp's reader does not fail at the end of the file; it reads on as if zeros followed.
  if (info.infoEndOffset !== undefined && info.infoEndOffset > size) {
    throw new ModelFileError(path, 'truncated', `${path} is truncated: its header alone needs ${info.infoEndOffset} bytes but the file has ${size}.`);
  }
  for (const t of info.tensorInfo ?? []) {
    const block = GGML_BLOCKS[t.ggmlType];
    const elements = t.dimensions.reduce<number>((n, d) => n * Number(d), 1);
    const bytes = block === undefined ? 1 : Math.ceil(elements / block[1]) * block[0];
    const end = Number(t.fileOffset) + bytes;
    if (end > size) {
      throw new ModelFileError(path, 'truncated',
        `${path} is truncated: tensor ${t.name} ends at byte ${end} but the file has ${size} bytes (an interrupted download or copy?).`);
    }
  }
}

function checkGenerationHead(path: string, architecture: string, info: GgufFileInfo): void {
  if (ENCODER_ONLY_ARCHITECTURES.has(architecture)) {
    throw new NoGenerationHeadError(path, `its architecture "${architecture}" is an encoder (embeddings only)`);
  }
  const names = new Set((info.tensorInfo ?? []).map((t) => t.name));
  // llama.cpp ties the output projection to the token embeddings when output.weight is absent.
  if (names.size > 0 && !names.has('output.weight') && !names.has('token_embd.weight')) {
    throw new NoGenerationHeadError(path, 'it has neither an output projection (output.weight) nor token embeddings to tie it to');
  }
}
