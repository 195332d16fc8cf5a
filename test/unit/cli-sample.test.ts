import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { runSample } from '../../src/cli/sample';

const CLI = path.join(__dirname, '../../dist/cli.js');
const sample = (input: object) => JSON.parse(runSample(JSON.stringify(input))).candidates as { token: number; p: number }[];

describe('tokentree sample (CLI contract)', () => {
  it('applies the samplers in the order given and renormalises over the survivors', () => {
    const out = sample({ probs: [0.1, 0.2, 0.3, 0.4], samplers: [{ type: 'top_k', k: 3 }, { type: 'min_p', p: 0.6 }] });
    assert.deepEqual(out.map((c) => c.token), [3, 2]);
    assert.ok(Math.abs(out[0].p - 4 / 7) < 1e-6);
  });
  it('uses the history for penalties', () => {
    const out = sample({ logits: [1, 1], samplers: [{ type: 'penalties', lastN: 4, repeat: 1, frequency: 0, presence: 1 }], history: [0] });
    assert.deepEqual(out.map((c) => c.token), [1, 0]);
    assert.ok(Math.abs(out[0].p - 1 / (1 + Math.exp(-1))) < 1e-6);
  });
  it('with no samplers prints the whole distribution sorted by p', () => {
    const out = sample({ logits: [0, 2, 1] });
    assert.deepEqual(out.map((c) => c.token), [1, 2, 0]);
  });
  it('exits 0 with JSON on stdout, and 2 with one line on stderr for bad input', function () {
    this.timeout(20000);
    const ok = spawnSync(process.execPath, [CLI, 'sample'], { input: '{"probs":[0.5,0.5],"samplers":[{"type":"top_k","k":1}]}' });
    assert.equal(ok.status, 0, ok.stderr.toString());
    assert.deepEqual(JSON.parse(ok.stdout.toString()), { candidates: [{ token: 0, p: 1 }] });
    for (const bad of ['{"logits":[1,', '[]', '{"logits":[]}', '{"logits":[1],"probs":[1]}', '{"logits":[1e999]}', '{"probs":[-1]}', '{"logits":[1],"samplers":[{"type":"top_k","k":"x"}]}', '{"logits":[1],"history":[1.5]}', '{"logits":[1],"samplers":{}}']) {
      const r = spawnSync(process.execPath, [CLI, 'sample'], { input: bad });
      assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
      const err = r.stderr.toString();
      assert.equal(err.trim().split('\n').length, 1, err);
      assert.equal(r.stdout.length, 0);
    }
  });
});
