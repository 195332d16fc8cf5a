import { SamplerChain, type SamplerSpec } from '../../src/decoding/samplers/chain';

/** Survivors of a chain as {token, p}, renormalised and sorted by p (the CLI's view). */
export function survivors(specs: SamplerSpec[], probsOrLogits: number[], opts: { logits?: boolean; history?: number[] } = {}): { token: number; p: number }[] {
  const logits = Float32Array.from(probsOrLogits, (x) => (opts.logits ? x : Math.log(x)));
  const chain = new SamplerChain(specs);
  const set = chain.apply(logits, { history: opts.history ?? [] });
  set.softmax();
  const out: { token: number; p: number }[] = [];
  for (let i = 0; i < set.size; i++) out.push({ token: set.idAt(i), p: set.probs[i] });
  return out.sort((a, b) => b.p - a.p || a.token - b.token);
}

export const ids = (s: { token: number }[]) => s.map((x) => x.token);
