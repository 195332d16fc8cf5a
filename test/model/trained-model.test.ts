/**
 * The CPU-trained code model (models/tokentree-code.gguf, built by
 * `npm run model:train`), through the project's own loader and real llama.cpp:
 * it loads, its FIM tokens are detected, greedy completions depend on the
 * cursor position, and llama.cpp computes the log-probs torch computed for the
 * same token ids (so the exported layout, RoPE convention included, is right).
 * The expected log-probs are a fixture written by the export step; torch is not needed.
 */
import { strict as assert } from 'node:assert';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type LoadedModel, loadModel } from '../../src/model/load';
import { FIM_CASES, type ProbeFixture, greedyFim, probeAgreement, readFixture } from '../../tools/train/check';
import { importNodeLlamaCpp } from '../support/test-models';
import { partsFromText } from '../../src/decoding/prompt-parts';

const ROOT = join(__dirname, '..', '..');
const MODEL = join(ROOT, 'models', 'tokentree-code.gguf');
const FIXTURE = join(ROOT, 'models', 'tokentree-code.logprobs.json');

describe('trained code model (models/tokentree-code.gguf) in llama.cpp', function () {
    this.timeout(20_000);
    let loaded: LoadedModel;
    let fixture: ProbeFixture;

    before(async () => {
        assert.ok(existsSync(MODEL), `${MODEL} is missing: run npm run model:train`);
        fixture = readFixture(FIXTURE);
        loaded = await loadModel({ modelPath: MODEL, gpu: false, threads: 1, maxBranches: 4 });
    });
    after(async () => {
        await loaded?.dispose();
    });

    it('is a small llama-architecture GGUF with the trained configuration', async () => {
        const size = statSync(MODEL).size;
        assert.ok(size > 5e6 && size < 40e6, `size ${size}`);
        const { readGgufFileInfo } = await importNodeLlamaCpp();
        const info = await readGgufFileInfo(MODEL, { logWarnings: false });
        const md = info.metadata as unknown as Record<string, Record<string, unknown>>;
        assert.equal(md.general.architecture, 'llama');
        assert.equal(md.general.file_type, 1);
        const llama = md.llama as { block_count: number; context_length: number; embedding_length: number; attention: { head_count: number; head_count_kv: number } };
        assert.equal(llama.context_length, 256);
        assert.equal(llama.embedding_length, 256);
        assert.ok(llama.block_count >= 2, `block_count ${llama.block_count}`);
        assert.ok(llama.attention.head_count_kv <= llama.attention.head_count);
        assert.equal(loaded.info.architecture, 'llama');
        assert.equal(loaded.info.vocabSize, 8192);
        assert.equal(loaded.info.contextSize, 256);
    });

    it('has Qwen2.5-Coder FIM tokens that llama.cpp resolves from the metadata ids', () => {
        const fim = loaded.info.fim;
        assert.ok(fim, 'FIM detected');
        assert.equal(fim.family, 'qwen');
        assert.equal(fim.source, 'llama.cpp');
        assert.equal(fim.order, 'psm');
        const piece = (id: number | null): string => (id === null ? '' : loaded.languageModel.tokenText(id));
        assert.deepEqual([piece(fim.prefix), piece(fim.suffix), piece(fim.middle)], ['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>']);
        const prompt = loaded.buildPrompt(partsFromText('let a = ', ';\n'), { maxNewTokens: 16 });
        assert.ok(prompt.fim);
        assert.equal(prompt.tokens[0], fim.prefix);
        const middle = loaded.tokenize('let a = ');
        assert.deepEqual(prompt.tokens.slice(-middle.length - 1), [fim.middle, ...middle], 'the cursor line follows the middle marker');
    });

    it('computes the log-probs torch computed for the same token ids (within 1e-2 nats)', async () => {
        const a = await probeAgreement(loaded, fixture.probes);
        assert.ok(a.positions >= 8 && a.compared >= 100, `compared ${a.compared} at ${a.positions} positions`);
        assert.ok(a.maxAbsDiff < 1e-2, `max |Δ log p| ${a.maxAbsDiff}`);
        // Differences under 1e-2 nats can only swap the top two where torch has them within 2e-2 of each other.
        assert.equal(a.decisive.agree, a.decisive.positions, `argmax agrees at ${a.decisive.agree} of ${a.decisive.positions} positions with a margin over ${a.decisive.margin} nats`);
        assert.ok(a.decisive.positions >= a.positions - 2, `only ${a.decisive.positions} of ${a.positions} positions have a clear top token`);
    });

    it('does not match the same weights under the rotate_half RoPE convention (the check can tell them apart)', async () => {
        const c = await probeAgreement(loaded, fixture.controlRotateHalf);
        assert.ok(c.maxAbsDiff > 0.1, `control differs by only ${c.maxAbsDiff}`);
    });

    it('writes different code at different cursor positions', async () => {
        const results: string[] = [];
        for (const c of FIM_CASES.slice(0, 3)) {
            const r = await greedyFim(loaded, c.prefix, c.suffix, 16);
            assert.ok(r.fim, 'FIM prompt');
            assert.ok(!/<\|[a-z_]+\|>/.test(r.text), `no control-token text in ${JSON.stringify(r.text)}`);
            results.push(r.text);
        }
        assert.ok(new Set(results).size >= 2, `completions: ${JSON.stringify(results)}`);
        assert.ok(results.some((t) => /[A-Za-z_$][\w$]*/.test(t)), `some completion has an identifier: ${JSON.stringify(results)}`);
    });

});
