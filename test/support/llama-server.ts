/**
 * A real llama-server for the server backend's tests and benchmark: built from the llama.cpp
 * source node-llama-cpp ships (tools/llama-server/build.sh, cached under .cache/), started on
 * 127.0.0.1 on a free port with a test model and several slots, stopped afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface RunningServer {
  readonly url: string;
  readonly slots: number;
  /** The server's own output, for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  readonly model: string;
  readonly slots?: number;
  /** Context per slot (the server's -c is this times the slots). */
  readonly contextPerSlot?: number;
  readonly threads?: number;
  readonly apiKey?: string;
}

let binary: string | undefined;

/** The binary's path, building it first when the cache has none (minutes, once). */
export function llamaServerBinary(): string {
  if (binary) return binary;
  const out = execFileSync('bash', [join(ROOT, 'tools', 'llama-server', 'build.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  binary = join(ROOT, out.trim().split('\n').pop()!);
  return binary;
}

export async function startLlamaServer(options: ServerOptions): Promise<RunningServer> {
  const binary = llamaServerBinary();
  const slots = options.slots ?? 4;
  const port = await freePort();
  const args = [
    '-m', options.model, '-c', String((options.contextPerSlot ?? 256) * slots), '-np', String(slots),
    '-t', String(options.threads ?? 1), '--host', '127.0.0.1', '--port', String(port), '--no-webui',
    ...(options.apiKey ? ['--api-key', options.apiKey] : []),
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, () => output);
  return {
    url,
    slots,
    log: () => output,
    stop: () => stopProcess(child),
  };
}

async function waitHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}:\n${log()}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`llama-server did not become healthy within 60 s:\n${log()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
