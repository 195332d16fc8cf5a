/**
 * What the download tests' servers share: answering a request for a file as a server that
 * supports byte ranges does (206 with Content-Range for a range, 200 for the whole file).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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
