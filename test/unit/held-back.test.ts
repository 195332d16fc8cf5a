/**
 * What a llama-server stream left out when it held tokens back (src/model/server/held-back.ts),
 * on literal answers shaped as the server sends them.
 */
import * as assert from 'node:assert/strict';
import { heldBackIn, pickHeldToken, recoverHeldBack } from '../../src/model/server/held-back';

// Token 5 is byte 0xE5, 6 is byte 0x8F, 7 is the two bytes E5 8F, 8 is "//", 9 is "/".
const BYTES: Record<number, number[]> = { 5: [0xe5], 6: [0x8f], 7: [0xe5, 0x8f], 8: [0x2f, 0x2f], 9: [0x2f] };
const bytesOf = (id: number) => Uint8Array.from(BYTES[id] ?? []);
const scores = (entries: [number, number][]) => ({ ids: Int32Array.from(entries, (e) => e[0]), logits: Float32Array.from(entries, (e) => e[1]), logNormalizer: 0 });

describe('llama-server held-back tokens', () => {
  it('finds the gap from tokens_predicted, with the bytes the completing entry sent', () => {
    const entry = { id: 8, logprob: -0.1, bytes: [0xe5, 0x8f, 0x2f, 0x2f] };
    assert.equal(heldBackIn({ tokens_predicted: 3, completion_probabilities: [entry] }, 2), undefined);
    const gap = heldBackIn({ tokens_predicted: 5, completion_probabilities: [entry] }, 2)!;
    assert.equal(gap.count, 2);
    assert.deepEqual([...gap.bytes!], [0xe5, 0x8f, 0x2f, 0x2f]);
    const end = heldBackIn({ tokens_predicted: 4 }, 3)!;
    assert.equal(end.count, 1);
    assert.equal(end.bytes, undefined);
    assert.equal(heldBackIn({ completion_probabilities: [entry] }, 0), undefined, 'no count, no gap');
  });

  it('picks the likeliest token that begins the bytes and leaves a byte for each token after it', () => {
    const rest = Uint8Array.from([0xe5, 0x8f, 0x2f, 0x2f]);
    // 7 (E5 8F) is likelier than 5 (E5), and both begin the bytes.
    assert.equal(pickHeldToken(scores([[9, -0.5], [7, -1], [5, -2]]), rest, 1, bytesOf), 7);
    // Two tokens still to come after this one: E5 8F leaves only "//" for them, which fits; three do not fit.
    assert.equal(pickHeldToken(scores([[7, -1], [5, -2]]), rest, 2, bytesOf), 7);
    assert.equal(pickHeldToken(scores([[7, -1], [5, -2]]), rest, 3, bytesOf), 5);
    assert.equal(pickHeldToken(scores([[8, -1], [9, -2]]), rest, 1, bytesOf), undefined);
    // Bytes unknown: the likeliest token.
    assert.equal(pickHeldToken(scores([[9, -3], [8, -1]]), undefined, 0, bytesOf), 8);
  });

  it('recovers each held-back token from its own position, looking wider once when the top N lack it', async () => {
    const gap = heldBackIn({ tokens_predicted: 3, completion_probabilities: [{ id: 8, logprob: -0.1, bytes: [0xe5, 0x8f, 0x2f, 0x2f] }] }, 0)!;
    const r = { bytesOf, isEnd: () => false, endedOnEnd: false, url: 'http://x' };
    // No listed token spells the bytes, even wide: an error that says so.
    await assert.rejects(async () => {
      for await (const _ of recoverHeldBack(gap, 4, { ...r, scoresAt: async () => scores([[9, -1]]) })) void _;
    }, /held back 2 token\(s\).*spells the bytes/);
    // Position 0 has E5 only in its whole distribution; position 1 has 8F in its top 4.
    const asked: number[] = [];
    const positions = [(n: number) => scores(n < 100 ? [[9, -1]] : [[9, -1], [5, -2]]), () => scores([[6, -0.5], [9, -1]])];
    let at = 0;
    const scoresAt = async (n: number) => {
      asked.push(n);
      const s = positions[at]!(n);
      if (n >= 100 || at === 1) at++;
      return s;
    };
    const got: number[] = [];
    for await (const t of recoverHeldBack(gap, 4, { ...r, scoresAt })) got.push(t.token);
    assert.deepEqual(got, [5, 6]);
    assert.deepEqual(asked, [4, Number.POSITIVE_INFINITY, 4]);
  });
});
