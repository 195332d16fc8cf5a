import * as assert from 'node:assert/strict';
import { lookupDraft } from '../../src/decoding/prompt-lookup';

describe('prompt-lookup drafts', () => {
  it('drafts what followed the latest earlier occurrence of the last tokens', () => {
    // ... 7 8 9 | 1 2 3 4 5 | 7 8 9 | 1 2 6 | 1 2  → "1 2" last followed by 6 (latest), not 3
    assert.deepEqual(lookupDraft([7, 8, 9, 1, 2, 3, 4, 5, 7, 8, 9, 1, 2, 6, 1, 2], { maxDraft: 4 }), [6, 1, 2]);
  });

  it('prefers the longest n-gram that occurs', () => {
    // "5 1 2" occurs once (followed by 3 4); "1 2" occurs later, followed by 9.
    const history = [5, 1, 2, 3, 4, 8, 1, 2, 9, 5, 1, 2];
    assert.deepEqual(lookupDraft(history, { maxDraft: 2 }), [3, 4]);
    assert.deepEqual(lookupDraft(history, { maxDraft: 2, maxNgram: 2 }), [9, 5]);
  });

  it('stops at maxDraft and at the end of the history', () => {
    assert.deepEqual(lookupDraft([1, 2, 3, 4, 5, 6, 1, 2], { maxDraft: 3 }), [3, 4, 5]);
    // The only earlier "4 4" leaves one token after it.
    assert.deepEqual(lookupDraft([4, 4, 4], { maxDraft: 8 }), [4]);
  });

  it('drafts nothing below minNgram or without a match', () => {
    assert.deepEqual(lookupDraft([1, 2, 3, 9, 3], { maxDraft: 4 }), []);
    assert.deepEqual(lookupDraft([1, 2, 3, 9, 3], { maxDraft: 4, minNgram: 1 }), [9, 3]);
    assert.deepEqual(lookupDraft([1, 2, 1, 2], { maxDraft: 0 }), []);
    assert.deepEqual(lookupDraft([1], { maxDraft: 4 }), []);
    assert.deepEqual(lookupDraft([], { maxDraft: 4 }), []);
  });
});
