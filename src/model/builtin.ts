import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const BUILTIN_MODEL_FILE = 'tokentree-builtin.gguf';

/**
 * The model shipped with TokenTree (models/ at the package root), used when no model is
 * configured. Found relative to this code both when bundled (dist/) and when run from
 * source (src/model/ under tsx).
 */
export function builtinModelPath(): string {
  const candidates = [join(__dirname, '..', 'models', BUILTIN_MODEL_FILE), join(__dirname, '..', '..', 'models', BUILTIN_MODEL_FILE)];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}
