/**
 * The gate's debounce and its early wake-up (`soon`): when it is called, how often, and that a
 * superseded request or a hook that throws changes nothing else.
 */
import * as assert from 'node:assert/strict';
import { RequestGate, SOON_MS } from '../../src/providers/request-gate';

/** A gate whose sleeps return at once and are written to `events`, with `soon` among them. */
function recorded(debounceMs: number, soonMs?: number, soon: () => void = () => undefined) {
  const events: string[] = [];
  const gate = new RequestGate(() => debounceMs, {
    soon: () => {
      events.push('soon');
      soon();
    },
    ...(soonMs !== undefined ? { soonMs } : {}),
    sleep: async (ms) => void events.push(`sleep ${ms}`),
  });
  return { gate, events };
}

describe('RequestGate: waking the model before the debounce ends', () => {
  it('calls soon once, SOON_MS before the debounce ends', async () => {
    assert.equal(SOON_MS, 10);
    const { gate, events } = recorded(120);
    const ticket = await gate.begin();
    assert.ok(ticket);
    assert.deepEqual(events, ['sleep 110', 'soon', 'sleep 10']);
  });

  it('calls soon at once when the debounce is shorter than the lead', async () => {
    const { gate, events } = recorded(6, 10);
    assert.ok(await gate.begin());
    assert.deepEqual(events, ['soon', 'sleep 6']);
  });

  it('without a debounce there is nothing to wake early for', async () => {
    const { gate, events } = recorded(0);
    assert.ok(await gate.begin());
    assert.deepEqual(events, []);
  });

  it('without a hook the debounce is one sleep', async () => {
    const sleeps: number[] = [];
    const gate = new RequestGate(() => 120, { sleep: async (ms) => void sleeps.push(ms) });
    assert.ok(await gate.begin());
    assert.deepEqual(sleeps, [120]);
  });

  it('a request superseded before its wake-up never wakes the model; the one that supersedes it does', async () => {
    let woken = 0;
    const gate = new RequestGate(() => 200, { soon: () => woken++, soonMs: 20 });
    const first = gate.begin();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = gate.begin();
    assert.equal(await first, undefined);
    assert.equal(woken, 0, 'the first request was superseded 160 ms before its wake-up');
    const ticket = await second;
    assert.ok(ticket);
    assert.equal(woken, 1);
    ticket.end();
  });

  it('a request cancelled by the editor before its wake-up never wakes the model', async () => {
    let woken = 0;
    const gate = new RequestGate(() => 200, { soon: () => woken++, soonMs: 20 });
    let cancel!: () => void;
    const begun = gate.begin((listener) => (cancel = listener));
    cancel();
    assert.equal(await begun, undefined);
    assert.equal(woken, 0);
  });

  it('a hook that throws is only a lost head start: the request goes on', async () => {
    const { gate, events } = recorded(50, 10, () => {
      throw new Error('the model process is gone');
    });
    assert.ok(await gate.begin());
    assert.deepEqual(events, ['sleep 40', 'soon', 'sleep 10']);
  });

  it('a keystroke that adopts the background work it asks for waits no debounce and wakes nothing', async () => {
    const { gate, events } = recorded(120);
    let finish!: () => void;
    const work = gate.background('key', () => new Promise<void>((resolve) => (finish = resolve)));
    assert.ok(work);
    const adopting = gate.begin(undefined, 'key');
    finish();
    assert.ok(await adopting);
    assert.deepEqual(events, []);
  });
});
