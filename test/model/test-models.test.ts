/**
 * The fixture writer in test/support/test-models.ts: each family's exact
 * token spellings, optional metadata ids, and what llama.cpp itself detects.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIM_FAMILIES, type FimFamily, getCpuLlama, importNodeLlamaCpp, writeNotGguf, writeTestModel, writeTruncatedCopy } from '../support/test-models';

/** Spellings as the families' own tokenizers have them (and as llama-vocab.cpp matches them). */
const SPELLINGS: Record<FimFamily, { pre?: string; suf?: string; mid?: string; eos: string; others: string[] }> = {
    qwen: { pre: '<|fim_prefix|>', suf: '<|fim_suffix|>', mid: '<|fim_middle|>', eos: '<|endoftext|>', others: ['<|fim_pad|>', '<|repo_name|>', '<|file_sep|>'] },
    deepseek: { pre: '<\uff5cfim\u2581begin\uff5c>', suf: '<\uff5cfim\u2581hole\uff5c>', mid: '<\uff5cfim\u2581end\uff5c>', eos: '<\uff5cend\u2581of\u2581sentence\uff5c>', others: ['<\uff5cbegin\u2581of\u2581sentence\uff5c>'] },
    codellama: { pre: '\u2581<PRE>', suf: '\u2581<SUF>', mid: '\u2581<MID>', eos: '</s>', others: ['<s>', '\u2581<EOT>'] },
    starcoder: { pre: '<fim_prefix>', suf: '<fim_suffix>', mid: '<fim_middle>', eos: '<|endoftext|>', others: ['<fim_pad>'] },
    codestral: { pre: '[PREFIX]', suf: '[SUFFIX]', mid: '[MIDDLE]', eos: '</s>', others: ['<s>'] },
    none: { eos: '<|endoftext|>', others: [] }
};

interface TokenizerMetadata {
    tokens: string[];
    token_type: number[];
    [key: string]: unknown;
}

describe('test model fixtures (test/support/test-models.ts)', function () {
    this.timeout(60_000);
    let dir: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), 'tokentree-fixtures-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const fim of Object.keys(FIM_FAMILIES) as FimFamily[]) {
        for (const withMetadataIds of [false, true, 'legacy'] as const) {
            it(`${fim}, metadata ids: ${withMetadataIds}`, async () => {
                const { readGgufFileInfo } = await importNodeLlamaCpp();
                const w = writeTestModel(join(dir, `${fim}-${withMetadataIds}.gguf`), { fim, withMetadataIds });
                const info = await readGgufFileInfo(w.path, { logWarnings: false });
                const tok = (info.metadata.tokenizer as unknown as { ggml: TokenizerMetadata }).ggml;
                const s = SPELLINGS[fim];
                for (const text of [s.pre, s.suf, s.mid, s.eos, ...s.others].filter((t): t is string => t !== undefined)) {
                    const id = tok.tokens.indexOf(text);
                    assert.ok(id >= 0, `${JSON.stringify(text)} is in the vocabulary`);
                    assert.equal(tok.token_type[id], 3, `${text} is a CONTROL token`);
                }
                assert.equal(tok.eos_token_id, tok.tokens.indexOf(s.eos));
                assert.equal(w.tokens[w.ids.eos ?? -1], s.eos);
                if (s.pre) assert.equal(w.tokens[w.ids.fimPre ?? -1], s.pre);

                const hasPre = s.pre !== undefined;
                assert.equal(tok.fim_pre_token_id, hasPre && withMetadataIds === true ? w.ids.fimPre : undefined);
                assert.equal(tok.prefix_token_id, hasPre && withMetadataIds === 'legacy' ? w.ids.fimPre : undefined);

                // What llama.cpp itself makes of the file.
                const llama = await getCpuLlama();
                const model = await llama.loadModel({ modelPath: w.path, gpuLayers: 0 });
                try {
                    const infill = model.tokens.infill;
                    const found = hasPre && (withMetadataIds !== false || w.family.fimDetectedByText);
                    assert.deepEqual([infill.prefix, infill.suffix, infill.middle], found ? [w.ids.fimPre, w.ids.fimSuf, w.ids.fimMid] : [null, null, null]);
                    assert.equal(model.tokens.eos, w.ids.eos);
                    if (fim === 'codellama') assert.equal(model.tokens.eot, withMetadataIds ? w.ids.eot : null, '"▁<EOT>" is only known from metadata');
                    assert.equal(model.tokens.shouldPrependBosToken, w.family.addBos);
                    const context = await model.createContext({ contextSize: 64, threads: 1 });
                    const seq = context.getSequence();
                    const out: number[] = [];
                    for await (const t of seq.evaluate(model.tokenize('export function '), { temperature: 0 })) if (out.push(t) >= 4) break;
                    assert.equal(out.length, 4);
                    await context.dispose();
                } finally {
                    await model.dispose();
                }
            });
        }
    }

    it('can leave out the output head (llama.cpp then ties it to token_embd)', async () => {
        const { readGgufFileInfo } = await importNodeLlamaCpp();
        const w = writeTestModel(join(dir, 'tied.gguf'), { fim: 'qwen', noOutputHead: true });
        const info = await readGgufFileInfo(w.path, { logWarnings: false });
        const names = (info.tensorInfo ?? []).map((t) => t.name);
        assert.ok(names.includes('token_embd.weight') && !names.includes('output.weight'));
        const model = await (await getCpuLlama()).loadModel({ modelPath: w.path, gpuLayers: 0 });
        await model.dispose();
    });

    it('is written identically every time', async () => {
        const { readFileSync } = await import('node:fs');
        writeTestModel(join(dir, 'a.gguf'), { fim: 'deepseek', withMetadataIds: true });
        writeTestModel(join(dir, 'b.gguf'), { fim: 'deepseek', withMetadataIds: true });
        assert.ok(readFileSync(join(dir, 'a.gguf')).equals(readFileSync(join(dir, 'b.gguf'))));
    });

    // node-llama-cpp's readGgufFileInfo does not notice truncation (it reads
    // past the end as zeros), so only llama.cpp's loader is expected to refuse
    // the cut files; the wrong magic is refused by both.
    it('writes truncated and non-GGUF files that llama.cpp rejects', async () => {
        const { readGgufFileInfo } = await importNodeLlamaCpp();
        const llama = await getCpuLlama();
        const good = writeTestModel(join(dir, 'good.gguf'), { fim: 'starcoder' });
        const halfway = join(dir, 'half.gguf');
        writeTruncatedCopy(good.path, halfway); // header intact, tensor data cut
        await assert.rejects(llama.loadModel({ modelPath: halfway, gpuLayers: 0 }));
        const stub = join(dir, 'stub.gguf');
        writeTruncatedCopy(good.path, stub, 100); // cut inside the metadata
        await assert.rejects(llama.loadModel({ modelPath: stub, gpuLayers: 0 }));
        const text = join(dir, 'not.gguf');
        writeNotGguf(text);
        await assert.rejects(readGgufFileInfo(text, { logWarnings: false }));
        await assert.rejects(llama.loadModel({ modelPath: text, gpuLayers: 0 }));
    });
});
