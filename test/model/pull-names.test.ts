/**
 * Where a download goes (src/models/pull-names.ts), without a server: the names a source gets, the
 * server's file name as a header carries it, and when a name already in the folder may be used.
 */
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chooseName, claim, urlFileName, withSourceHash, writeRecord, type SourceRecord } from '../../src/models/pull-names';
import { dispositionName } from '../../src/models/pull-stream';

describe('download names and source records', () => {
  it('a URL is named by its host and its file, readably, whatever the server offers', () => {
    assert.equal(urlFileName('https://huggingface.co/u/r/resolve/main/model.Q8_0.gguf?download=true'), 'huggingface.co_model.Q8_0.gguf');
    assert.equal(urlFileName('http://127.0.0.1:8080/a/b/My%20Model.gguf'), '127.0.0.1_My_Model.gguf');
    // The path names no GGUF: the server's name, only its last component.
    assert.equal(urlFileName('http://example.com/download?id=3', '../../x.gguf'), 'example.com_x.gguf');
    assert.equal(urlFileName('http://example.com/download?id=3', '..\\..\\evil'), 'example.com_evil.gguf');
    assert.equal(urlFileName('http://example.com/get'), 'example.com_get.gguf');
    assert.equal(urlFileName('http://example.com/'), 'example.com_model.gguf');
    assert.equal(urlFileName('http://example.com/m.gguf.part1of3'), 'example.com_m.gguf');
    for (const name of ['..', '.hidden.gguf', 'a/../b.gguf', 'con:x?.gguf']) assert.match(urlFileName('http://h/x', name), /^h_[A-Za-z0-9][\w.-]*\.gguf$/, name);
  });

  it("the server's name from Content-Disposition, the RFC 6266 extended form first", () => {
    assert.equal(dispositionName('attachment; filename="../../x.gguf"'), '../../x.gguf');
    assert.equal(dispositionName("attachment; filename=\"fallback.gguf\"; filename*=UTF-8''caf%C3%A9.gguf"), 'café.gguf');
    assert.equal(dispositionName('attachment; filename=plain.gguf'), 'plain.gguf');
    assert.equal(dispositionName('inline'), undefined);
    assert.equal(dispositionName(null), undefined);
  });

  it('the hash goes before .gguf, and before a split file part number', () => {
    const one = withSourceHash('h_m.gguf', 'http://h/m.gguf');
    assert.match(one, /^h_m-[0-9a-f]{8}\.gguf$/);
    assert.notEqual(one, withSourceHash('h_m.gguf', 'http://h/m.gguf?v=2'));
    assert.match(withSourceHash('h_m-00001-of-00003.gguf', 'x'), /^h_m-[0-9a-f]{8}-00001-of-00003\.gguf$/);
  });

  describe('claiming a name in the folder', () => {
    let dir: string;
    const a: SourceRecord = { source: 'http://a/m.gguf', url: 'http://a/m.gguf', bytes: 4, etag: '"1"' };
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tokentree-claim-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('free, done (the same source, size and validator), or taken (another source, or no record)', async () => {
      assert.equal(await claim(dir, 'm.gguf', a), 'fresh');
      writeFileSync(join(dir, 'm.gguf'), 'GGUF');
      assert.equal(await claim(dir, 'm.gguf', a), 'taken', 'a file with no record was not downloaded here');
      await writeRecord(join(dir, 'm.gguf'), a);
      assert.equal(await claim(dir, 'm.gguf', a), 'done');
      assert.equal(await claim(dir, 'm.gguf', { ...a, source: 'http://b/m.gguf' }), 'taken');
      assert.equal(await claim(dir, 'm.gguf', { ...a, etag: '"2"' }), 'taken', 'the server file changed: the old model stays');
      const chosen = await chooseName(dir, 'm.gguf', { ...a, source: 'http://b/m.gguf' });
      assert.equal(chosen?.name, withSourceHash('m.gguf', 'http://b/m.gguf'));
      // A source whose server file changed after it was downloaded under both of its names.
      writeFileSync(join(dir, chosen!.name), 'GGUF');
      await writeRecord(join(dir, chosen!.name), { ...a, source: 'http://b/m.gguf' });
      const third = await chooseName(dir, 'm.gguf', { ...a, source: 'http://b/m.gguf', etag: '"3"' });
      assert.ok(third && third.claim === 'fresh' && ![chosen!.name, 'm.gguf'].includes(third.name), JSON.stringify(third));
    });

    it("a partial file resumes only for its own source and the same server file; a stale one of the same source is removed", async () => {
      writeFileSync(join(dir, 'm.gguf.ipull'), 'GG');
      assert.equal(await claim(dir, 'm.gguf', a), 'taken', 'a partial file with no record');
      await writeRecord(join(dir, 'm.gguf'), a);
      assert.equal(await claim(dir, 'm.gguf', { ...a, source: 'http://b/m.gguf', url: 'http://b/m.gguf' }), 'taken');
      assert.ok(existsSync(join(dir, 'm.gguf.ipull')));
      assert.equal(await claim(dir, 'm.gguf', a), 'resume');
      assert.equal(await claim(dir, 'm.gguf', { ...a, lastModified: 'x', etag: '"2"' }), 'fresh');
      assert.ok(!existsSync(join(dir, 'm.gguf.ipull')), 'the stale partial file is gone');
    });
  });
});
