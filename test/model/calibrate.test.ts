/**
 * `tokentree calibrate` on the built-in model: it fits the gate on held-out code, stores the
 * calibration under the model file's identity, and the editor's lookup finds it for that file
 * (and only that file: any other model gets the shipped calibration).
 */
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCalibrate } from '../../src/cli/calibrate';
import { calibrationFor, SHIPPED_CALIBRATION } from '../../src/gate/calibration-store';
import { modelIdentity } from '../../src/gate/model-identity';
import { GateCalibrations } from '../../src/host/gate-calibrations';
import { builtinModelPath } from '../../src/model/builtin';

const ROOT = join(__dirname, '..', '..');

describe('tokentree calibrate (built-in model)', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokentree-calibrate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a calibration keyed by the model file, which the editor picks up for that file only', async () => {
    const model = builtinModelPath();
    const out = JSON.parse(await runCalibrate(['--model', model, '--positions', '16', '--strategies', 'greedy', '--dir', dir, '--json'], ROOT)) as {
      stored: string; modelIdentity: string; calibration: { strategies: Record<string, { threshold: number; heldOut: { positions: number } }> };
    };
    const identity = await modelIdentity(model);
    assert.equal(out.modelIdentity, identity);
    assert.deepEqual(readdirSync(dir), [`${identity}.json`]);
    assert.ok(out.calibration.strategies.greedy!.heldOut.positions > 0);

    const found = await calibrationFor(model, dir);
    assert.equal(found.source, 'stored');
    assert.equal(found.calibration.modelIdentity, identity);
    const editor = new GateCalibrations(() => assert.fail('no warning expected'), dir);
    await editor.refresh(model);
    assert.equal(editor.from, 'stored');
    assert.deepEqual(editor.current.strategies.greedy, found.calibration.strategies.greedy);

    // Another file (the same bytes but one more at the end): the shipped calibration.
    const other = join(dir, 'other.gguf');
    copyFileSync(model, other);
    writeFileSync(other, Buffer.from([0]), { flag: 'a' });
    assert.deepEqual(await calibrationFor(other, dir), { calibration: SHIPPED_CALIBRATION, source: 'shipped' });
    // A server's model has no file here.
    await editor.refresh(undefined);
    assert.equal(editor.from, 'shipped');
  });

  it('a damaged stored calibration is said, and the shipped one used', async () => {
    const model = builtinModelPath();
    writeFileSync(join(dir, `${await modelIdentity(model)}.json`), '{"version": 1, "strategies": {"greedy": {}}}');
    const warnings: string[] = [];
    const editor = new GateCalibrations((m) => warnings.push(m), dir);
    await editor.refresh(model);
    assert.equal(editor.from, 'shipped');
    assert.match(warnings[0] ?? '', /could not be read \(gate calibration: strategy greedy is malformed\)/);
  });
});
