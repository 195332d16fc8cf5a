/**
 * JSON over HTTP to one llama-server: requests with a time limit and the caller's cancellation,
 * server-sent events for streamed generation, and errors that say which of the two ended it.
 * Node's own fetch (undici) keeps connections alive, so a beam step's parallel requests reuse
 * sockets instead of opening one each.
 */

import { AbortError } from '../../decoding/language-model';
import { terminalLine } from '../../decoding/describe-value';
import { ServerCapabilityError, ServerResponseError, ServerTimeoutError, ServerUnreachableError } from './errors';
import { RequestLimit } from './request-limit';

export interface ServerClientOptions {
  /** Sent as `Authorization: Bearer …` (llama-server's --api-key). */
  readonly apiKey?: string;
  /** Longest wait for one response (a whole streamed generation counts per event). */
  readonly timeoutMs?: number;
}

export const DEFAULT_SERVER_TIMEOUT_MS = 30_000;
/** Connections before the server's slot count is known (connecting). */
const FIRST_CONNECTIONS = 2;

export class ServerClient {
  readonly url: string;
  /** HTTP requests sent (round trips), for benchmarks and stats. */
  requests = 0;
  /** Requests in flight now, and the most at once so far (at most the connection limit). */
  inFlight = 0;
  maxInFlight = 0;
  private connections = new RequestLimit(FIRST_CONNECTIONS);

  constructor(url: string, private readonly options: ServerClientOptions = {}) {
    this.url = normaliseServerUrl(url);
  }

  /**
   * At most `count` requests at once, so at most that many connections. llama-server serves each
   * kept-alive connection with one of its HTTP threads (slots + 4 by default) until the connection
   * idles out, 5 s later: a client holding more stalls its own new connections, and other clients,
   * for seconds. The server's slot count leaves it threads to spare.
   */
  limitConnections(count: number): void {
    this.connections = new RequestLimit(Math.max(1, count));
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_SERVER_TIMEOUT_MS;
  }

  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.json<T>(path, undefined, signal);
  }

  /**
   * Opens a connection ahead of need (a GET /health, not counted in `requests`): the server
   * closes one after each streamed answer, and the next request should not wait to connect.
   */
  warmConnection(): void {
    void this.connections.acquire().then((done) => fetch(`${this.url}/health`, { signal: AbortSignal.timeout(this.timeoutMs) })
      .then((r) => r.arrayBuffer(), () => undefined)
      .finally(done));
  }

  async post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.json<T>(path, body, signal);
  }

  /**
   * A POST whose answer is a stream of server-sent events; each event's JSON comes out as it
   * arrives. Leaving the loop early (break, throw) aborts the request, which stops the server's
   * generation for that slot.
   */
  async *stream<T>(path: string, body: unknown, signal?: AbortSignal): AsyncGenerator<T> {
    const { response, abort, timer } = await this.send(path, body, signal);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        timer.restart();
        const { done, value } = await reader.read().catch((e) => {
          throw this.failure(path, e, signal, timer.fired);
        });
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            const data = line.slice(6).trim();
            if (data === '[DONE]') return;
            const parsed = JSON.parse(data) as T & { error?: { message?: string; code?: number } };
            if (parsed.error) throw new ServerResponseError(this.url, parsed.error.code ?? 500, path, parsed.error.message ?? 'error');
            yield parsed as Awaited<T>;
          }
        }
      }
    } finally {
      timer.clear();
      abort();
      reader.releaseLock();
    }
  }

  private async json<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
    const { response, abort, timer } = await this.send(path, body, signal);
    try {
      const text = await response.text().catch((e) => {
        throw this.failure(path, e, signal, timer.fired);
      });
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ServerCapabilityError(this.url, `llama-server at ${this.url} answered ${path} with something that is not JSON: ${terminalLine(text, 200)}`);
      }
    } finally {
      timer.clear();
      abort();
    }
  }

  private async send(path: string, body: unknown, signal?: AbortSignal) {
    if (signal?.aborted) throw new AbortError();
    const connection = await this.connections.acquire();
    if (signal?.aborted) {
      connection();
      throw new AbortError();
    }
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = restartableTimer(this.timeoutMs, () => controller.abort());
    let open = true;
    const abort = () => {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
      if (open) {
        this.inFlight--;
        connection();
      }
      open = false;
    };
    this.requests++;
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    let response: Response | undefined;
    const init: RequestInit = {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
    };
    for (let attempt = 1; response === undefined; attempt++) {
      try {
        response = await fetch(this.url + path, init);
      } catch (e) {
        // A kept-alive socket the server closed just as the request went out (it closes one after
        // a number of requests, and after each streamed answer): nothing reached the server, so the
        // request goes again. Streams that ended together can leave several such sockets in the pool.
        if (attempt <= STALE_SOCKET_RETRIES && isStaleSocket(e) && !controller.signal.aborted) continue;
        timer.clear();
        abort();
        throw this.failure(path, e, signal, timer.fired);
      }
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      timer.clear();
      abort();
      throw new ServerResponseError(this.url, response.status, path, errorMessage(text));
    }
    return { response, abort, timer };
  }

  private failure(path: string, e: unknown, signal: AbortSignal | undefined, timedOut: boolean): Error {
    if (signal?.aborted) return new AbortError();
    if (timedOut) return new ServerTimeoutError(this.url, this.timeoutMs, path);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return new ServerUnreachableError(this.url, cause?.code ?? cause?.message ?? (e as Error).message, { cause: e });
  }
}

/** `http://host:port` without a trailing slash; anything but http(s) is refused. */
export function normaliseServerUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new RangeError(`The server URL ${terminalLine(url, 80)} is not a URL; expected something like http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new RangeError(`The server URL ${terminalLine(url, 80)} must start with http:// or https://`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** Times a request goes again after meeting a socket the server had closed. */
const STALE_SOCKET_RETRIES = 4;

function isStaleSocket(e: unknown): boolean {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (message) return terminalLine(message, 200);
  } catch {
    // not JSON: quote the text
  }
  return terminalLine(text || 'no details', 200);
}

function restartableTimer(ms: number, onFire: () => void) {
  let handle: NodeJS.Timeout | undefined;
  const timer = {
    fired: false,
    restart() {
      if (handle) clearTimeout(handle);
      handle = setTimeout(() => {
        timer.fired = true;
        onFire();
      }, ms);
    },
    clear() {
      if (handle) clearTimeout(handle);
      handle = undefined;
    },
  };
  timer.restart();
  return timer;
}
