import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The model shipped with TokenTree and used when none is configured: the small code model
 * the project trains itself (models/MODEL_CARD.md). The analytically constructed bigram
 * model (tokentree-builtin.gguf) stays in the repository as the fast test fixture.
 */
export const BUILTIN_MODEL_FILE = 'tokentree-code.gguf';
export const FIXTURE_MODEL_FILE = 'tokentree-builtin.gguf';

/**
 * Path of a file in models/ at the package root, found relative to this code both when
 * bundled (dist/) and when run from source (src/model/ under tsx).
 */
export function modelsPath(file: string): string {
  const candidates = [join(__dirname, '..', 'models', file), join(__dirname, '..', '..', 'models', file)];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

export function builtinModelPath(): string {
  return modelsPath(BUILTIN_MODEL_FILE);
}
