/**
 * Sampler benchmark: ms per step for softmax, each sampler and a typical chain, on
 * llama.cpp's own sampler benchmark input (131,072 logits uniform in [-1, 1]) and on a
 * peaked, code-model-like distribution. Ratios are to one softmax pass over the same input,
 * measured in the same run, in CPU time per step. Run: npm run bench:decoding [-- --json]
 */
import { CandidateSet } from '../src/decoding/samplers/candidate-set';
import { SamplerChain, type SamplerSpec } from '../src/decoding/samplers/chain';
import { createRng } from '../src/decoding/rng';

const VOCAB = 1 << 17;
const LLAMA_CPP_MS: Record<string, number> = { 'top_k 40': 0.1, 'top_p 0.8': 8.4, 'min_p 0.2': 1.5, 'typical 0.5': 14.9 };

function flatLogits(): Float32Array {
  const rng = createRng(1);
  const out = new Float32Array(VOCAB);
  for (let i = 0; i < VOCAB; i++) out[i] = 2 * (rng() - 0.5);
  return out;
}

/** Heavy head, long tail: a few plausible tokens, then logits falling off with log-rank. */
function peakedLogits(): Float32Array {
  const rng = createRng(2);
  const out = new Float32Array(VOCAB);
  const ranks = new Int32Array(VOCAB);
  for (let i = 0; i < VOCAB; i++) ranks[i] = i;
  for (let i = VOCAB - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
  }
  for (let i = 0; i < VOCAB; i++) out[ranks[i]] = 12 - 3.2 * Math.log1p(i) + 0.5 * (rng() - 0.5);
  return out;
}

/** The baseline: the engine's own softmax over the whole vocabulary (validating max pass, exp pass, normalise). */
function softmaxPass(set: CandidateSet, logits: Float32Array): void {
  set.reset(logits).softmax();
}

/**
 * CPU time this process spends per call (process.cpuUsage), not wall time: on a shared
 * machine other processes steal wall time but not our CPU time, so the figures stay
 * comparable with a single-threaded C++ run on a quiet machine. Each case is measured in
 * several rounds interleaved with the others (so a slow phase of the machine hits all
 * cases alike) and the median round is reported.
 */
function measureAll(fns: (() => void)[], rounds = 9, iters = 25): number[] {
  for (const fn of fns) for (let i = 0; i < 30; i++) fn();
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, c) => {
      const t0 = process.cpuUsage();
      for (let i = 0; i < iters; i++) fn();
      const d = process.cpuUsage(t0);
      samples[c].push((d.user + d.system) / 1000 / iters);
    });
  }
  return samples.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
}

const cases: [string, SamplerSpec[]][] = [
  ['top_k 40', [{ type: 'top_k', k: 40 }]],
  ['top_p 0.8', [{ type: 'top_p', p: 0.8, minKeep: 1 }]],
  ['min_p 0.2', [{ type: 'min_p', p: 0.2, minKeep: 1 }]],
  ['typical 0.5', [{ type: 'typical', p: 0.5, minKeep: 1 }]],
  ['temperature 0.8', [{ type: 'temperature', t: 0.8 }]],
  ['penalties (64 tokens)', [{ type: 'penalties', lastN: 64, repeat: 1.1, frequency: 0.1, presence: 0.1 }]],
  [
    'chain top_k 40 → top_p 0.95 → min_p 0.05 → temp 0.8 → sample',
    [
      { type: 'top_k', k: 40 },
      { type: 'top_p', p: 0.95 },
      { type: 'min_p', p: 0.05 },
      { type: 'temperature', t: 0.8 },
    ],
  ],
  [
    'chain min_p 0.05 → temp 0.8 → sample (no top-k)',
    [
      { type: 'min_p', p: 0.05 },
      { type: 'temperature', t: 0.8 },
    ],
  ],
  [
    'chain top_p 0.95 → temp 0.8 → sample (no top-k)',
    [
      { type: 'top_p', p: 0.95 },
      { type: 'temperature', t: 0.8 },
    ],
  ],
];

const json = process.argv.includes('--json');
const history = Array.from({ length: 64 }, (_, i) => (i * 2654435761) % VOCAB);
const report: Record<string, Record<string, { ms: number; vsSoftmax: number; llamaCppMs?: number }>> = {};
for (const [inputName, logits] of [
  ['flat (llama.cpp test-sampling input)', flatLogits()],
  ['peaked (code-model-like)', peakedLogits()],
] as const) {
  const softmaxSet = new CandidateSet(VOCAB);
  const rng = createRng(3);
  const fns = [
    () => softmaxPass(softmaxSet, logits),
    ...cases.map(([name, specs]) => {
      const chain = new SamplerChain(specs);
      const sample = name.includes('sample');
      return () => {
        chain.apply(logits, { history });
        if (sample) chain.sample(rng);
      };
    }),
  ];
  const [softmaxMs, ...caseMs] = measureAll(fns);
  const rows: Record<string, { ms: number; vsSoftmax: number; llamaCppMs?: number }> = {
    softmax: { ms: softmaxMs, vsSoftmax: 1 },
  };
  cases.forEach(([name], i) => {
    const ms = caseMs[i];
    rows[name] = { ms, vsSoftmax: ms / softmaxMs, ...(inputName.startsWith('flat') && LLAMA_CPP_MS[name] ? { llamaCppMs: LLAMA_CPP_MS[name] } : {}) };
  });
  report[inputName] = rows;
}

if (json) {
  console.log(JSON.stringify({ vocab: VOCAB, node: process.version, results: report }, null, 2));
} else {
  for (const [inputName, rows] of Object.entries(report)) {
    console.log(`\n${inputName}, ${VOCAB} logits (node ${process.version})`);
    console.log(`${'step'.padEnd(58)} ${'ms'.padStart(8)} ${'x softmax'.padStart(10)} ${'llama.cpp ms'.padStart(13)}`);
    for (const [name, r] of Object.entries(rows)) {
      const anchor = r.llamaCppMs === undefined ? '' : `${r.llamaCppMs.toFixed(2)} (${(r.llamaCppMs / r.ms).toFixed(1)}x)`;
      console.log(`${name.padEnd(58)} ${r.ms.toFixed(3).padStart(8)} ${r.vsSoftmax.toFixed(2).padStart(10)} ${anchor.padStart(13)}`);
    }
  }
}
