/**
 * The model process: loads one model at a time and runs the requests the editor (or the CLI)
 * sends. Whatever llama.cpp does here (an assertion, running out of memory) ends this process
 * only; the client sees it exit and says so.
 */

import type { TreeJSON } from '../decoding/candidate-tree';
import type { CompletionResult } from '../decoding/completion';
import { AbortError } from '../decoding/language-model';
import { completeRequest } from '../engine/session';
import { warmAt } from '../engine/complete';
import { loadModel } from '../model/load';
import type { CompletionBackend } from '../model/backend';
import { connectServer } from '../model/server/connect';
import { getRuntime, setLogSink, type GpuChoice } from '../model/llama-runtime';
import { fitOf } from '../models/fit';
import { memoryBudget } from '../models/fit-verdict';
import { toWireError, type FromWorker, type GpuProbe, type ProcessHealth, type Reply, type ToWorker, type WireResult } from './protocol';

const send = (message: FromWorker) => process.send?.(message);
/**
 * Set only by the editor tests, to hand llama.cpp a file that aborts it and watch the editor
 * survive: the header check would refuse the file first.
 */
const SKIP_HEADER_CHECK = process.env.TOKENTREE_TEST_SKIP_HEADER_CHECK === '1';
const running = new Map<number, AbortController>();
let loaded: CompletionBackend | undefined;

async function handle(message: Exclude<ToWorker, { kind: 'cancel' | 'wake' }>, signal: AbortSignal): Promise<Reply> {
  switch (message.kind) {
    case 'load': {
      const previous = loaded;
      loaded = undefined;
      await previous?.dispose();
      loaded = await loadModel({ ...message.options, signal, checkHeader: message.options.checkHeader !== false && !SKIP_HEADER_CHECK });
      return { kind: 'load', info: loaded.info };
    }
    case 'connect': {
      const previous = loaded;
      loaded = undefined;
      await previous?.dispose();
      loaded = await connectServer({ ...message.options, signal });
      return { kind: 'load', info: loaded.info };
    }
    case 'unload':
      await loaded?.dispose();
      loaded = undefined;
      return { kind: 'unload' };
    case 'complete': {
      const onSnapshot = message.snapshots ? (tree: TreeJSON, elapsedMs: number) => send({ kind: 'snapshot', id: message.id, tree, elapsedMs }) : undefined;
      const onFirst = message.first ? (first: CompletionResult) => send({ kind: 'first', id: message.id, result: toWire(first) }) : undefined;
      return { kind: 'complete', result: toWire(await completeRequest(model(), message.request, signal, onSnapshot, onFirst)) };
    }
    case 'probe':
      return { kind: 'probe', probe: await probe(message.gpu) };
    case 'fit': {
      const runtime = await getRuntime(message.gpu);
      const budget = memoryBudget(await probe(message.gpu));
      const fits = await Promise.all(message.sources.map((source) => fitOf(runtime, budget, source, message.timeoutMs, signal)));
      return { kind: 'fit', budget, fits };
    }
    case 'warm':
      return { kind: 'warm', result: await warmAt(model(), message.parts, message.maxNewTokens, signal) };
    case 'stats':
      return {
        kind: 'stats',
        stats: { ...model().stats },
        health: { ...memoryHealth(), liveBranches: model().languageModel.liveBranches, queued: model().scheduler.queued },
      };
  }
}

/**
 * Memory as a leak check needs it: garbage V8 has not collected yet grows RSS by tens of MB over a
 * few hundred requests, then falls, so where the process was started with --expose-gc (the soak
 * test) it collects first and the figures show only what is still held.
 */
function memoryHealth(): Pick<ProcessHealth, 'rssBytes' | 'heapUsedBytes' | 'collected'> {
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed, collected: collect !== undefined };
}

async function probe(gpu: GpuChoice): Promise<GpuProbe> {
  const runtime = await getRuntime(gpu);
  const supported = await runtime.lib.getLlamaGpuTypes('supported');
  const devices = runtime.backend === 'cpu' ? [] : await runtime.llama.getGpuDeviceNames();
  const vram = devices.length > 0 ? await runtime.llama.getVramState() : undefined;
  return {
    supported: supported.map((t) => (t === false ? 'cpu' : t)),
    backend: devices.length > 0 ? runtime.backend : 'cpu',
    devices,
    ...(runtime.backend !== 'cpu' && devices.length === 0 ? { note: `the ${runtime.backend} build loaded but found no ${runtime.backend} device` } : {}),
    ...(vram ? { vram: { total: vram.total, used: vram.used, free: vram.free } } : {}),
  };
}

function toWire({ tree, ...rest }: CompletionResult): WireResult {
  return { ...rest, tree: { ...tree.toJSON(), maxNodes: tree.maxNodes } };
}

function model(): CompletionBackend {
  if (!loaded) throw new Error('No model is loaded in the model process');
  return loaded;
}

function onMessage(message: ToWorker): void {
  if (message.kind === 'wake') return;
  if (message.kind === 'cancel') {
    running.get(message.id)?.abort(new AbortError());
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  const arrived = performance.now();
  handle(message, controller.signal).then(
    (reply) => send({ kind: 'reply', id: message.id, reply, handledMs: performance.now() - arrived }),
    (e: unknown) => send({ kind: 'error', id: message.id, error: toWireError(e) }),
  ).finally(() => running.delete(message.id));
}

if (!process.send) {
  process.stderr.write('The TokenTree model process is started by the editor or the CLI, not on its own.\n');
  process.exit(2);
}
setLogSink((level, message) => send({ kind: 'log', level, message }));
process.on('message', (m) => onMessage(m as ToWorker));
// The parent is gone (the editor closed or crashed): nothing is left to serve.
process.on('disconnect', () => {
  setTimeout(() => process.exit(0), 1000).unref();
  void (loaded?.dispose() ?? Promise.resolve()).finally(() => process.exit(0));
});
send({ kind: 'ready' });
