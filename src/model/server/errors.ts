/**
 * Errors of the llama-server backend. Each names the server and says what to do, as the local
 * backend's errors name the file: they reach the editor's notification and the CLI's stderr.
 */

import { ModelError } from '../errors';

export class ServerError extends ModelError {
  override readonly name: string = 'ServerError';
  constructor(readonly url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Nothing answers at the URL (refused, no route, DNS). */
export class ServerUnreachableError extends ServerError {
  override readonly name: string = 'ServerUnreachableError';
  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    super(url, `No llama-server answers at ${url} (${detail}). Start it, or check the server URL (the setting tokentree.server.url, or --server).`, options);
  }
}

/** The server took longer than the request's time limit. */
export class ServerTimeoutError extends ServerError {
  override readonly name: string = 'ServerTimeoutError';
  constructor(url: string, readonly ms: number, path: string) {
    super(url, `llama-server at ${url} did not answer ${path} within ${ms} ms: its slots may all be busy with other clients' requests, or the model too large for its hardware.`);
  }
}

/** The server answered with an error status (a wrong API key, a full context, no free slot). */
export class ServerResponseError extends ServerError {
  override readonly name: string = 'ServerResponseError';
  constructor(url: string, readonly status: number, readonly path: string, detail: string) {
    super(url, `llama-server at ${url} refused ${path} (HTTP ${status}): ${detail}${status === 401 ? ' Set the API key with "TokenTree: Set Server API Key" (CLI: TOKENTREE_SERVER_KEY).' : ''}`);
  }
}

/** The server lacks something TokenTree needs: a response field, enough slots, a FIM vocabulary. */
export class ServerCapabilityError extends ServerError {
  override readonly name: string = 'ServerCapabilityError';
}

/** The first llama-server build whose /completion sends completion_probabilities[].top_logprobs. */
const OLDEST_BUILD = 4500;

/**
 * A /completion answer without the scores TokenTree asked for: what was missing, in which answer,
 * and the server's build (`/props` build_info) only where an old build explains it.
 */
export function missingScoresError(url: string, response: object | undefined, index: number, count: number, build: string | undefined): ServerCapabilityError {
  const where = count > 1 ? `answer ${index + 1} of ${count} to one /completion` : 'the answer to a /completion';
  const had = response === undefined ? 'no answer at all' : `only ${Object.keys(response).join(', ') || 'an empty object'}`;
  const number = /^b(\d+)/.exec(build ?? '');
  const old = number && Number(number[1]) < OLDEST_BUILD ? ` Its build (${build}) predates b${OLDEST_BUILD}, the oldest that sends them: update llama-server.` : '';
  return new ServerCapabilityError(url, `llama-server at ${url} sent no completion_probabilities[0].top_logprobs in ${where} (it had ${had}).${old}`);
}
