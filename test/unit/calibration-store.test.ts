import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCalibrationsDir } from '../../src/gate/calibration-store';

describe('the calibrations folder the editor watches', () => {
  it('is made, parents too, before the watcher starts; where it cannot be, the editor goes on without it', () => {
    const root = mkdtempSync(join(tmpdir(), 'tt-calibrations-'));
    try {
      const dir = join(root, '.tokentree', 'calibrations');
      assert.equal(ensureCalibrationsDir(dir), true);
      assert.ok(existsSync(dir));
      assert.equal(ensureCalibrationsDir(dir), true, 'an existing folder is fine');
      writeFileSync(join(root, 'a-file'), '');
      assert.equal(ensureCalibrationsDir(join(root, 'a-file', 'calibrations')), false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
