/**
 * Last step of `npm run model:train`: loads the exported GGUF in llama.cpp
 * (node-llama-cpp prebuilt CPU binary, build 'never', 1 thread) through
 * src/model/load.ts, checks the torch/llama.cpp log-prob agreement on the
 * stored probe, prints greedy FIM completions, and records both in the
 * training summary.
 *
 *   npx tsx tools/train/verify.ts [--model models/tokentree-code.gguf]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadModel } from '../../src/model/load';
import { FIM_CASES, greedyFim, probeAgreement, readFixture } from './check';
import { TRAINED_MODEL_PATH } from './export';

export const AGREEMENT_TOLERANCE = 1e-2;

async function main(argv: string[]): Promise<void> {
    const i = argv.indexOf('--model');
    const model = resolve(i >= 0 ? argv[i + 1] : TRAINED_MODEL_PATH);
    const fixturePath = model.replace(/\.gguf$/, '.logprobs.json');
    const summaryPath = model.replace(/\.gguf$/, '.training.json');
    const t0 = Date.now();
    const loaded = await loadModel({ modelPath: model, gpu: false, threads: 1, maxBranches: 4 });
    try {
        const info = loaded.info;
        console.log(`loaded ${info.path}: ${info.architecture}, ${info.backend}, ${info.threads} thread(s), context ${info.contextSize}, vocab ${info.vocabSize}, FIM ${info.fim ? `${info.fim.family} (${info.fim.source})` : 'none'}`);
        if (!info.fim) throw new Error('FIM tokens were not detected');
        const fixture = readFixture(fixturePath);
        const agreement = await probeAgreement(loaded, fixture.probes);
        console.log(`torch vs llama.cpp: max |Δ log p| = ${agreement.maxAbsDiff.toExponential(2)} over ${agreement.compared} (position, token) pairs; argmax agrees at ${agreement.argmaxAgree}/${agreement.positions} positions (${agreement.decisive.agree}/${agreement.decisive.positions} where torch's top token leads by over ${agreement.decisive.margin} nats)`);
        const control = await probeAgreement(loaded, fixture.controlRotateHalf);
        console.log(`control, torch with rotate_half RoPE vs llama.cpp: max |Δ log p| = ${control.maxAbsDiff.toFixed(3)}; argmax agrees at ${control.argmaxAgree}/${control.positions} positions`);
        const samples: Array<{ name: string; prefixTail: string; completion: string; finish: string }> = [];
        const tGen = Date.now();
        for (const c of FIM_CASES) {
            const r = await greedyFim(loaded, c.prefix, c.suffix);
            const tail = c.prefix.slice(c.prefix.lastIndexOf('\n') + 1);
            samples.push({ name: c.name, prefixTail: tail, completion: r.text, finish: r.finish });
            console.log(`  ${c.name.padEnd(13)} ${JSON.stringify(tail)} ⟶ ${JSON.stringify(r.text)} (${r.finish})`);
        }
        const genMs = Date.now() - tGen;
        const distinct = new Set(samples.map((s) => s.completion)).size;
        console.log(`${distinct}/${samples.length} distinct completions; ${genMs} ms for ${samples.length} greedy completions`);
        const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, unknown>;
        summary.verification = {
            loader: 'src/model/load.ts loadModel({ gpu: false, threads: 1 }) → node-llama-cpp getLlama({ gpu: false, build: "never" })',
            fim: info.fim,
            agreement,
            controlRotateHalf: control,
            tolerance: AGREEMENT_TOLERANCE,
            greedyFim: samples,
            seconds: (Date.now() - t0) / 1000
        };
        writeFileSync(summaryPath, `${JSON.stringify(summary, null, 1)}\n`);
        if (agreement.maxAbsDiff > AGREEMENT_TOLERANCE) throw new Error(`torch and llama.cpp disagree: ${agreement.maxAbsDiff}`);
        if (control.maxAbsDiff < 10 * AGREEMENT_TOLERANCE) throw new Error(`the check cannot tell RoPE conventions apart (control differs by only ${control.maxAbsDiff})`);
        if (distinct < 2) throw new Error('completions do not depend on the context');
    } finally {
        await loaded.dispose();
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
