/**
 * What the download tests' servers share: answering a request for a file as a server that
 * supports byte ranges does (206 with Content-Range for a range, 200 for the whole file), or as
 * one that ignores ranges; and running `tokentree pull` against them.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * Sets the status and headers for `length` bytes and returns the asked range (inclusive end).
 * A HEAD request is answered here: then it returns undefined.
 */
export function beginRange(req: IncomingMessage, res: ServerResponse, length: number): { start: number; end: number; ranged: boolean } | undefined {
  res.setHeader('accept-ranges', 'bytes');
  const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Math.min(Number(m[2]), length - 1) : length - 1;
  if (m) {
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${start}-${end}/${length}`);
  }
  res.setHeader('content-length', String(end - start + 1));
  if (req.method === 'HEAD') {
    res.end();
    return undefined;
  }
  return { start, end, ranged: m !== null };
}

/** The HTML page a hub sends instead of a model (a login wall, an error). */
export function servePage(res: ServerResponse): void {
  res.setHeader('content-type', 'text/html');
  res.end('<!DOCTYPE html><html><body>Sign in to continue</body></html>');
}

export function serveNotFound(res: ServerResponse): void {
  res.statusCode = 404;
  res.end('Not Found');
}

/**
 * Answers as a server that says `Accept-Ranges: bytes` and yet sends the whole file, 200, to
 * every request, ranged or not (RFC 9110 allows it). `cutAt` ends the connection after that many
 * bytes of the body.
 */
export function serveIgnoringRanges(req: IncomingMessage, res: ServerResponse, body: Buffer, options: { disposition?: string; cutAt?: number } = {}): void {
  res.setHeader('accept-ranges', 'bytes');
  res.setHeader('content-length', String(body.length));
  if (options.disposition) res.setHeader('content-disposition', options.disposition);
  if (req.method === 'HEAD') return void res.end();
  if (options.cutAt === undefined) return void res.end(body);
  res.write(body.subarray(0, options.cutAt));
  setTimeout(() => res.destroy(), 20);
}

/** A server on 127.0.0.1 (never another address), on a port of its own. */
export async function listenLocal(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; base: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** `node dist/cli.js pull …` (built by `node esbuild.mjs`), without blocking this process's servers. */
export function runPullCli(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'pull', ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
