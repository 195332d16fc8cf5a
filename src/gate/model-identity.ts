import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const MIB = 1024 * 1024;

/**
 * A model file's identity for its stored calibration: SHA-256 of its size, its first MiB and its
 * last MiB. Hashing a multi-gigabyte GGUF whole on every load would take seconds; the header
 * (architecture, vocabulary, hyperparameters) and the tail of the tensor data tell different
 * files apart, and a file rewritten in place with the same size and both ends is not expected.
 */
export async function modelIdentity(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const hash = createHash('sha256').update(`size:${size}\n`);
    const head = Buffer.alloc(Math.min(MIB, size));
    await file.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > MIB) {
      const tail = Buffer.alloc(Math.min(MIB, size - MIB));
      await file.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return hash.digest('hex').slice(0, 32);
  } finally {
    await file.close();
  }
}
