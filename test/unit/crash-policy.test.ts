import * as assert from 'node:assert/strict';
import { CRASH_WINDOW_MS, CrashPolicy, MAX_RESTART_DELAY_MS } from '../../src/host/crash-policy';

describe('model process crash policy', () => {
  let now = 0;
  const policy = () => new CrashPolicy(() => now);
  beforeEach(() => (now = 1_000_000));

  it('restarts after a backoff that doubles with each recent crash, up to a ceiling', () => {
    const p = policy();
    const delays = [];
    for (let i = 0; i < 7; i++) delays.push(p.record({ reason: 'SIGSEGV', path: undefined, whileLoading: false }).delayMs);
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, MAX_RESTART_DELAY_MS, MAX_RESTART_DELAY_MS]);
    assert.equal(p.waitMs(), MAX_RESTART_DELAY_MS);
    now += MAX_RESTART_DELAY_MS;
    assert.equal(p.waitMs(), 0);
    now += CRASH_WINDOW_MS;
    assert.equal(p.record({ reason: 'SIGSEGV', path: undefined, whileLoading: false }).delayMs, 1000, 'old crashes are forgotten');
  });

  it('a file that kills the process while loading is refused until chosen again', () => {
    const p = policy();
    assert.equal(p.record({ reason: 'it was stopped by SIGABRT', path: '/m/bad.gguf', whileLoading: true }).refused, true);
    assert.match(p.refusal('/m/bad.gguf')!, /does not load \/m\/bad\.gguf again: it stopped the model process \(it was stopped by SIGABRT\)/);
    assert.equal(p.refusal('/m/good.gguf'), undefined);
    assert.ok(p.waitMs() > 0);
    p.forgive('/m/bad.gguf');
    assert.equal(p.refusal('/m/bad.gguf'), undefined);
    assert.equal(p.waitMs(), 0, 'a file the user chose loads at once, backoff or not');
  });

  it('a file is blamed after three crashes while running it, not after one', () => {
    const p = policy();
    const crash = { reason: 'SIGKILL', path: '/m/big.gguf', whileLoading: false };
    assert.equal(p.record(crash).refused, false);
    assert.equal(p.record(crash).refused, false);
    assert.equal(p.record(crash).refused, true);
    p.forgive();
    assert.equal(p.refusal('/m/big.gguf'), undefined);
  });
});
