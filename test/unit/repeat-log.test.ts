/** A completion failure that repeats is logged once per distinct message per minute, with a count. */
import * as assert from 'node:assert/strict';
import { RepeatLimitedLog } from '../../src/host/repeat-log';

describe('repeat-limited log', () => {
  it('writes a message once a minute and counts the repeats in between', () => {
    let clock = 0;
    const lines: string[] = [];
    const log = new RepeatLimitedLog((l) => lines.push(l), 60_000, () => clock);
    for (let key = 0; key < 50; key++, clock += 500) log.report('Completion failed: out of memory');
    log.report('Completion failed: the model file is gone');
    assert.deepEqual(lines, ['Completion failed: out of memory', 'Completion failed: the model file is gone']);
    clock = 61_000;
    log.report('Completion failed: out of memory');
    assert.equal(lines[2], 'Completion failed: out of memory (49 more times since it was last logged)');
    clock = 200_000;
    log.report('Completion failed: out of memory');
    assert.equal(lines[3], 'Completion failed: out of memory');
    assert.equal(lines.length, 4);
  });
});
