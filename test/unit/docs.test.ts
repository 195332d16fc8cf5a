/** The docs a newcomer reads: a short README that reaches every doc in one click, and references, not diaries. */
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

describe('docs', () => {
  const readme = read('README.md');

  it('the README is short, starts with what TokenTree is and a picture, and names `npm test`', () => {
    assert.ok(readme.split('\n').length <= 150, `${readme.split('\n').length} lines`);
    const [, intro] = readme.split(/^# TokenTree\n/m);
    assert.match(intro!.split('\n## ')[0]!, /!\[[^\]]+\]\(docs\/images\/[\w-]+\.png\)/);
    assert.match(readme, /npm test/);
  });

  it('every doc in docs/ is one click from the README', () => {
    for (const doc of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
      assert.ok(readme.includes(`](docs/${doc})`), `docs/${doc} is not linked from the README`);
    }
  });

  it('docs/benchmarks.md is a reference: at most about 500 lines, each benchmark with its command and date', () => {
    const bench = read('docs/benchmarks.md');
    assert.ok(bench.split('\n').length <= 520, `${bench.split('\n').length} lines`);
    for (const section of bench.split(/^## /m).slice(1)) {
      assert.match(section, /`(npm run [\w:]+|node dist\/cli\.js \w+|tokentree \w+)/, `no command in "${section.split('\n')[0]}"`);
      assert.match(section, /20\d\d-\d\d-\d\d/, `no date in "${section.split('\n')[0]}"`);
    }
  });

  it('the docs speak of the project, never of sessions', () => {
    for (const doc of ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]) {
      const text = read(doc).replace(/`[^`]*`/g, '');
      // Work sessions, not the code's ModelSession.
      assert.doesNotMatch(text, /\bsessions?\s+\d|\b(this|that|previous|earlier|next|last|each|every|a later|one) session\b|\bsessions\b/i, doc);
    }
  });
});
