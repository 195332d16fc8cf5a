/**
 * Greedy's prompt-lookup drafts through real llama.cpp (src/model/drafted-greedy.ts): with drafts,
 * the same suggestions, tokens and step log-probabilities as one decode per token, on both scoring
 * paths, on the built-in model at held-out positions and on a model with Qwen2.5-Coder's 151,936
 * tokens (random weights); and a generation stopped early leaves its branch where a step-by-step
 * loop would.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { globSync } from 'tinyglobby';
import type { LanguageModel, NextTokenScores } from '../../src/decoding/language-model';
import { partsFromText } from '../../src/decoding/prompt-parts';
import { completeRequest } from '../../src/engine/session';
import { pickPositions } from '../../src/eval/positions';
import { builtinModelPath } from '../../src/model/builtin';
import type { BackendStats } from '../../src/model/backend-stats';
import { loadModel, type LoadedModel } from '../../src/model/load';
import { vocabHeavyModel } from '../../tools/model/real-shape';

const ROOT = join(__dirname, '..', '..');
/**
 * A drafted decode is a batch of several tokens, and llama.cpp's CPU kernels for a batch differ
 * from its one-token ones in rounding: on an AVX2-only CPU (AMD EPYC) its own decode of 16 tokens
 * in one batch and one at a time differ by up to 4.8e-3 in a log-probability, with the same top
 * tokens (on others, within 1e-4). A drafting bug reads another position: tokens and
 * log-probabilities then differ by far more.
 */
const TOLERANCE = 1e-2;

function heldOutPositions(count: number) {
  const packages = JSON.parse(readFileSync(join(ROOT, 'models', 'heldout.json'), 'utf8')).packages as { dir: string }[];
  const names = globSync(packages.slice(0, 3).map((p) => `${p.dir}/**/*.js`), { cwd: ROOT, ignore: ['**/node_modules/*/node_modules/**', '**/*.min.js'] });
  const files = names.map((name) => ({ name, text: readFileSync(join(ROOT, name), 'utf8') })).filter((f) => f.text.length < 100_000);
  return pickPositions(files, count, 7);
}

const stats = (m: LoadedModel) => (m.languageModel as unknown as { stats: BackendStats }).stats;

for (const [name, path, positions] of [['the built-in model', async () => builtinModelPath(), 16], ['a 151,936-token vocabulary', vocabHeavyModel, 4]] as const) {
  for (const scoring of ['direct', 'public'] as const) {
    describe(`greedy with prompt-lookup drafts (${name}, ${scoring} scoring)`, function () {
      this.timeout(600_000);
      let drafting: LoadedModel;
      let plain: LoadedModel;
      before(async () => {
        const modelPath = await path();
        drafting = await loadModel({ modelPath, threads: 1, contextSize: 1024, maxBranches: 4, scoring });
        plain = await loadModel({ modelPath, threads: 1, contextSize: 1024, maxBranches: 4, scoring, draftTokens: 0 });
      });
      after(async () => {
        await drafting?.dispose();
        await plain?.dispose();
      });

      it('gives the same suggestions, tokens and log-probabilities as one decode per token', async () => {
        for (const p of heldOutPositions(positions)) {
          for (const alternatives of [0, 3]) {
            const request = { parts: partsFromText(p.prefix, p.suffix), strategy: 'greedy' as const, options: { maxTokens: 40, alternatives } };
            const [a, b] = [await completeRequest(drafting, request), await completeRequest(plain, request)];
            const [x, y] = [a.candidates[0]!, b.candidates[0]!];
            assert.deepEqual(x.tokens, y.tokens, `${p.file}:${p.line}`);
            x.steps.forEach((s, k) => {
              assert.ok(Math.abs(s.logprob - y.steps[k]!.logprob) < TOLERANCE, `${p.file}:${p.line} step ${k}: ${s.logprob} vs ${y.steps[k]!.logprob}`);
              assert.deepEqual(s.alternatives.map((t) => t.token), y.steps[k]!.alternatives.map((t) => t.token));
            });
          }
        }
        const s = stats(drafting);
        assert.ok(s.draftedTokensAccepted > 0, `no drafted token was kept: ${JSON.stringify(s)}`);
        assert.ok(s.draftDecodes > 0);
        assert.equal(stats(plain).draftDecodes, 0);
      });

      it('leaves a branch stopped mid-generation holding the tokens read', async () => {
        const model = drafting.languageModel as LanguageModel;
        const p = heldOutPositions(1)[0]!;
        const prompt = drafting.buildPrompt(partsFromText(p.prefix, p.suffix), { maxNewTokens: 64 }).tokens;
        for (const stopAfter of [1, 2, 5, 11]) {
          const state = await model.start(prompt, 1);
          const generating = model.fork(state.branch);
          const stepping = model.fork(state.branch);
          const first = state.next.ids[0]!;
          const read: number[] = [];
          const stream = model.generate!({ branch: generating, tokens: [first], topN: 1, maxTokens: 40 })!;
          for (let next = await stream.next(); !next.done; next = await stream.next()) {
            read.push(next.value.token);
            if (read.length === stopAfter) break;
          }
          await stream.return('length');
          // The branch holds the prompt, `first` and the tokens read: its next scores are the step-by-step ones.
          const [after] = await model.evaluate([{ branch: generating, tokens: [], topN: 5 }]);
          const [expected] = await model.evaluate([{ branch: stepping, tokens: [first, ...read], topN: 5 }]);
          assert.deepEqual([...after!.ids], [...expected!.ids], `stopped after ${stopAfter}`);
          assertClose(after!, expected!);
          // A new prompt copied from a branch that still owes its last pick holds the prompt alone.
          const again = model.fork(generating);
          // One token: no room for a draft, so it is the decode's own pick and stays owed.
          const stream2 = model.generate!({ branch: again, tokens: [after!.ids[0]!], topN: 1, maxTokens: 1 })!;
          for (let next = await stream2.next(); !next.done; next = await stream2.next());
          model.release(state.branch);
          // Longer than what `again` holds, so that `again` (the longest shared start) is copied.
          const held = [...prompt, first, ...read, after!.ids[0]!, 11];
          const restart = await model.start(held, 5);
          const [next] = await model.evaluate([{ branch: restart.branch, tokens: [7], topN: 5 }]);
          const [want] = await model.evaluate([{ branch: stepping, tokens: [after!.ids[0]!, 11, 7], topN: 5 }]);
          assert.deepEqual([...next!.ids], [...want!.ids]);
          assertClose(next!, want!);
          for (const b of [generating, stepping, again, restart.branch]) model.release(b);
        }
      });
    });
  }
}

function assertClose(a: NextTokenScores, b: NextTokenScores): void {
  a.logits.forEach((l, i) => assert.ok(Math.abs((l - a.logNormalizer) - (b.logits[i]! - b.logNormalizer)) < TOLERANCE));
}
