"""
Reference log-probs for the llama.cpp agreement check.

  /usr/bin/python3 tools/train/probe.py --data .cache/train --run .cache/train/run

Loads the exported raw weights (weights.f32 / weights.json), rounds the matrices to
F16 as the GGUF stores them, and writes run/probe.json: for each probe sequence of
data/probe.json, the top log-probs at its last positions. It also writes a negative
control: the same weights run with Hugging Face's rotate_half RoPE pairing (i with
i + d/2) instead of ggml's NORM pairing (2i with 2i+1). llama.cpp must match the
first and not the second; otherwise the check would not be able to tell the two
conventions apart.
"""
import argparse
import json
import os
import sys

# BLAS threads are fixed before numpy/torch load (a different count changes summation order).
for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, '1')

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


def load_run(run_dir, context=None):
    """A model from raw weights; `context` trains it on at another length (RoPE has no learnt positions)."""
    meta = json.load(open(os.path.join(run_dir, 'weights.json')))
    cfg = M.Config(**{**meta['summary']['config'], **({'context': context} if context else {})})
    m = M.Llama(cfg)
    flat = np.fromfile(os.path.join(run_dir, 'weights.f32'), dtype='<f4')
    by_name = {name: t for name, _, t in M.gguf_tensors(m)}
    with torch.no_grad():
        for t in meta['tensors']:
            a = flat[t['offset']:t['offset'] + t['count']]
            dst = by_name[t['name']]
            dst.copy_(torch.from_numpy(a.copy()).view_as(dst))
    m.eval()
    return m


def round_f16(model):
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:  # matrices are F16 in the GGUF; norms stay F32
                p.copy_(p.half().float())
    return model


def apply_rope_neox(x, cos, sin):
    """Hugging Face rotate_half pairing: (x[i], x[i + d/2]) — the wrong one for llama.cpp's llama."""
    d = x.shape[-1] // 2
    x0, x1 = x[..., :d], x[..., d:]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    return torch.cat((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1)


@torch.no_grad()
def logprobs_at(model, ids, top, last, rope=None):
    saved = M.apply_rope_norm
    if rope is not None:
        M.apply_rope_norm = rope
    try:
        lp = F.log_softmax(model(torch.tensor([ids], dtype=torch.int64))[0].double(), dim=-1)
    finally:
        M.apply_rope_norm = saved
    out = []
    for pos in range(max(0, len(ids) - last), len(ids)):
        v, i = lp[pos].topk(top)
        out.append({'position': pos, 'ids': [int(t) for t in i], 'logprobs': [float(t) for t in v]})
    return out


def write_probe(model, data_dir, out_path, top=16, last=6):
    probe = json.load(open(os.path.join(data_dir, 'probe.json')))
    model = round_f16(model)
    result = {}
    for name, ids in probe['ids'].items():
        result[name] = {'ids': ids, 'positions': logprobs_at(model, ids, top, last)}
    control = {}
    for name, ids in probe['ids'].items():
        control[name] = {'ids': ids, 'positions': logprobs_at(model, ids, top, last, rope=apply_rope_neox)}
    json.dump({'probes': result, 'controlRotateHalf': control}, open(out_path, 'w'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--run', required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    write_probe(load_run(args.run), args.data, os.path.join(args.run, 'probe.json'))
    print(f'wrote {args.run}/probe.json')


if __name__ == '__main__':
    main()
