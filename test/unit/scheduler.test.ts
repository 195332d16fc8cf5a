import * as assert from 'node:assert/strict';
import { AbortError } from '../../src/decoding/language-model';
import { RequestScheduler } from '../../src/model/scheduler';

/** Work that runs until released (or aborted), recording the order in which work started. */
function gatedWork(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const work = (signal: AbortSignal) => {
    log.push(name);
    return new Promise<string>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new AbortError()), { once: true });
      void done.then(() => resolve(name));
    });
  };
  return { work, release };
}

describe('request scheduler', () => {
  it('runs one request at a time, foreground before waiting background work, in arrival order', async () => {
    const log: string[] = [];
    const s = new RequestScheduler();
    const a = gatedWork(log, 'fg1');
    const b = gatedWork(log, 'bg');
    const c = gatedWork(log, 'fg2');
    const pa = s.run('foreground', undefined, a.work);
    const pb = s.run('background', undefined, b.work);
    const pc = s.run('foreground', undefined, c.work);
    assert.deepEqual(log, ['fg1']);
    assert.equal(s.queued, 2);
    a.release();
    assert.equal(await pa, 'fg1');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['fg1', 'fg2']);
    c.release();
    await pc;
    b.release();
    assert.equal(await pb, 'bg');
    assert.deepEqual(log, ['fg1', 'fg2', 'bg']);
  });

  it('a foreground arrival cancels the running background work', async () => {
    const log: string[] = [];
    const s = new RequestScheduler();
    const bg = gatedWork(log, 'bg');
    const fg = gatedWork(log, 'fg');
    const pb = s.run('background', undefined, bg.work);
    const pf = s.run('foreground', undefined, fg.work);
    await assert.rejects(pb, AbortError);
    fg.release();
    assert.equal(await pf, 'fg');
  });

  it('a request cancelled while it waits leaves the queue and never runs', async () => {
    const log: string[] = [];
    const s = new RequestScheduler();
    const first = gatedWork(log, 'first');
    const second = gatedWork(log, 'second');
    const cancel = new AbortController();
    const p1 = s.run('foreground', undefined, first.work);
    const p2 = s.run('foreground', cancel.signal, second.work);
    cancel.abort();
    await assert.rejects(p2, AbortError);
    assert.equal(s.queued, 0);
    first.release();
    await p1;
    assert.deepEqual(log, ['first']);
  });

  it('cancelAll rejects the waiting and aborts the running', async () => {
    const log: string[] = [];
    const s = new RequestScheduler();
    const p1 = s.run('foreground', undefined, gatedWork(log, 'a').work);
    const p2 = s.run('background', undefined, gatedWork(log, 'b').work);
    s.cancelAll(new AbortError('closed'));
    await assert.rejects(p1, AbortError);
    await assert.rejects(p2, /closed/);
  });
});
