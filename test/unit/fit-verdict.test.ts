import * as assert from 'node:assert/strict';
import { estimateFromFileSize, memoryBudget, verdictFor } from '../../src/models/fit-verdict';

const GB = 1e9;

describe('fit verdict', () => {
  it('RAM: fits within half, tight up to 80%, else won’t fit', () => {
    const ram = { kind: 'RAM', totalBytes: 16 * GB, ramBytes: 16 * GB } as const;
    assert.equal(verdictFor(8 * GB, ram), 'fits');
    assert.equal(verdictFor(8.1 * GB, ram), 'tight');
    assert.equal(verdictFor(12.8 * GB, ram), 'tight');
    assert.equal(verdictFor(12.9 * GB, ram), "won't fit");
  });

  it('VRAM: fits within 85%, tight up to all of it, or when the rest spills into 80% of RAM', () => {
    const gpu = { kind: 'VRAM', totalBytes: 8 * GB, ramBytes: 16 * GB } as const;
    assert.equal(verdictFor(6.8 * GB, gpu), 'fits');
    assert.equal(verdictFor(6.9 * GB, gpu), 'tight');
    assert.equal(verdictFor(8 * GB + 12.8 * GB, gpu), 'tight');
    assert.equal(verdictFor(8 * GB + 12.9 * GB, gpu), "won't fit");
  });

  it('the budget is the VRAM a GPU probe found, else the RAM', () => {
    assert.deepEqual(memoryBudget({ devices: ['RTX'], vram: { total: 8 * GB } }, 16 * GB), { kind: 'VRAM', totalBytes: 8 * GB, ramBytes: 16 * GB });
    assert.deepEqual(memoryBudget({ devices: [] }, 16 * GB), { kind: 'RAM', totalBytes: 16 * GB, ramBytes: 16 * GB });
  });

  it('without a header: the weights, a fifth more, and half a gigabyte', () => {
    assert.equal(estimateFromFileSize(0.5 * GB), 1.1 * GB);
    assert.equal(estimateFromFileSize(10 * GB), 12.5 * GB);
  });
});
