/**
 * Checks of the trained model through the project's own llama.cpp backend
 * (src/model/load.ts): torch/llama.cpp log-prob agreement on the stored probe,
 * and greedy fill-in-the-middle completions. Used by tools/train/verify.ts
 * (end of `npm run model:train`) and test/model/trained-model.test.ts.
 */
import { readFileSync } from 'node:fs';
import { completeAt } from '../../src/engine/complete';
import type { LoadedModel } from '../../src/model/load';
import { partsFromText } from '../../src/decoding/prompt-parts';

export type ProbeSet = Record<string, {
    readonly ids: number[];
    readonly positions: Array<{ readonly position: number; readonly ids: number[]; readonly logprobs: number[] }>;
}>;

export interface ProbeFixture {
    /** torch, ggml NORM RoPE (what the model is). */
    readonly probes: ProbeSet;
    /** torch, Hugging Face rotate_half RoPE on the same weights (a negative control). */
    readonly controlRotateHalf: ProbeSet;
}

export function readFixture(path: string): ProbeFixture {
    return JSON.parse(readFileSync(path, 'utf8')) as ProbeFixture;
}

export interface Agreement {
    /** Largest |log p_llama.cpp − log p_torch| over every stored (position, token). */
    readonly maxAbsDiff: number;
    /** Positions where llama.cpp's most likely token is torch's. */
    readonly argmaxAgree: number;
    readonly positions: number;
    /**
     * Positions where torch's top token leads its second by more than `margin` nats, and how many of
     * them llama.cpp agrees with: within log-prob differences of margin/2 only these must agree.
     */
    readonly decisive: { readonly margin: number; readonly positions: number; readonly agree: number };
    readonly compared: number;
}

/** Feeds each probe through llama.cpp and compares next-token log-probs with the stored ones. */
export async function probeAgreement(loaded: LoadedModel, probes: ProbeSet, margin = 2e-2): Promise<Agreement> {
    const lm = loaded.languageModel;
    let maxAbsDiff = 0;
    let argmaxAgree = 0;
    let decisive = 0;
    let decisiveAgree = 0;
    let positions = 0;
    let compared = 0;
    for (const probe of Object.values(probes)) {
        const ps = [...probe.positions].sort((a, b) => a.position - b.position);
        const first = ps[0].position;
        const state = await lm.start(probe.ids.slice(0, first + 1), Infinity);
        try {
            let scores = state.next;
            for (let pos = first; pos <= ps[ps.length - 1].position; pos++) {
                if (pos > first) [scores] = await lm.evaluate([{ branch: state.branch, tokens: [probe.ids[pos]], topN: Infinity }]);
                const expected = ps.find((p) => p.position === pos);
                if (!expected) continue;
                const full = scores.full;
                if (!full) throw new Error('backend returned no full logits');
                for (let k = 0; k < expected.ids.length; k++) {
                    const lp = full[expected.ids[k]] - scores.logNormalizer;
                    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(lp - expected.logprobs[k]));
                    compared++;
                }
                const agrees = scores.ids[0] === expected.ids[0];
                if (agrees) argmaxAgree++;
                if (expected.logprobs[0] - expected.logprobs[1] > margin) {
                    decisive++;
                    if (agrees) decisiveAgree++;
                }
                positions++;
            }
        } finally {
            lm.release(state.branch);
        }
    }
    return { maxAbsDiff, argmaxAgree, positions, compared, decisive: { margin, positions: decisive, agree: decisiveAgree } };
}

/** Cursor positions inside TypeScript functions: the same suffix, different prefixes. */
export const FIM_CASES: ReadonlyArray<{ readonly name: string; readonly prefix: string; readonly suffix: string }> = [
    {
        name: 'sum loop',
        prefix: 'export function sum(values: number[]): number {\n    let total = 0;\n    for (const value of values) {\n        total ',
        suffix: '\n    }\n    return total;\n}\n'
    },
    {
        name: 'max loop',
        prefix: 'export function max(values: number[]): number {\n    let best = -Infinity;\n    for (const value of values) {\n        if (',
        suffix: '\n    }\n    return best;\n}\n'
    },
    {
        name: 'class method',
        prefix: 'export class Stack<T> {\n    private readonly items: T[] = [];\n\n    push(item: T): void {\n        this.',
        suffix: '\n    }\n\n    get size(): number {\n        return this.items.length;\n    }\n}\n'
    },
    {
        name: 'require',
        prefix: "'use strict';\n\nconst fs = require('fs');\nconst path = require(",
        suffix: '\n\nmodule.exports = function readConfig(dir) {\n    return JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));\n};\n'
    },
    {
        name: 'if return',
        prefix: 'function isEmpty(value: string | undefined): boolean {\n    if (value === undefined) {\n        return ',
        suffix: '\n    }\n    return value.length === 0;\n}\n'
    }
];

export async function greedyFim(loaded: LoadedModel, prefix: string, suffix: string, maxTokens = 24): Promise<{ text: string; finish: string; fim: boolean }> {
    const r = await completeAt(loaded, { parts: partsFromText(prefix, suffix), strategy: 'greedy', options: { maxTokens } });
    const c = r.candidates[0];
    return { text: c?.text ?? '', finish: String(c?.finish ?? ''), fim: r.fim };
}
