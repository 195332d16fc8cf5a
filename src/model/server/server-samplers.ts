/**
 * A sampler chain as llama-server's sampling parameters, so a sampling preset can generate on the
 * server in one request. The server runs each sampler at most once, in the order `samplers` lists,
 * with one `min_keep` for all; a chain that needs more (a sampler twice, two different minKeep)
 * has no translation, and the strategy steps it here instead.
 */

import type { SamplerSpec } from '../../decoding/samplers/chain';

/** Our sampler types by llama-server's names for them (common/sampling.cpp). */
const SERVER_NAMES: Record<SamplerSpec['type'], string> = {
  top_k: 'top_k', top_p: 'top_p', min_p: 'min_p', typical: 'typ_p', temperature: 'temperature', penalties: 'penalties',
};

export function serverSampling(chain: readonly SamplerSpec[], seed: number): Record<string, unknown> | undefined {
  const params: Record<string, unknown> = {
    seed,
    // Neutral values for what the chain leaves out: the server's defaults are not.
    top_k: 0, top_p: 1, min_p: 0, typical_p: 1, temperature: 1, repeat_penalty: 1, frequency_penalty: 0, presence_penalty: 0,
  };
  const samplers: string[] = [];
  let minKeep: number | undefined;
  for (const spec of chain) {
    const name = SERVER_NAMES[spec.type];
    if (samplers.includes(name)) return undefined;
    samplers.push(name);
    if ('minKeep' in spec && spec.minKeep !== undefined) {
      if (minKeep !== undefined && minKeep !== spec.minKeep) return undefined;
      minKeep = spec.minKeep;
    }
    switch (spec.type) {
      case 'top_k': params.top_k = spec.k; break;
      case 'top_p': params.top_p = spec.p; break;
      case 'min_p': params.min_p = spec.p; break;
      case 'typical': params.typical_p = spec.p; break;
      case 'temperature': params.temperature = spec.t; break;
      case 'penalties':
        Object.assign(params, { repeat_last_n: spec.lastN, repeat_penalty: spec.repeat, frequency_penalty: spec.frequency, presence_penalty: spec.presence });
        break;
    }
  }
  return { ...params, samplers, ...(minKeep !== undefined ? { min_keep: minKeep } : {}) };
}
