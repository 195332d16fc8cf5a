"""
A llama-architecture decoder in plain torch 1.13, written to compute exactly what
llama.cpp's `llama` graph computes (src/models/llama.cpp in the llama.cpp source
node-llama-cpp 3.22.1 was built from), so the weights export to GGUF unchanged:

- RMSNorm: x / sqrt(mean(x^2) + eps) * w            (ggml_rms_norm, then ggml_mul)
- RoPE in ggml's NORM mode (rope_type 0, what `llama` uses): it rotates ADJACENT
  pairs (x[2i], x[2i+1]) by pos * base^(-2i/head_dim)  (ggml-cpu ops.cpp,
  rotate_pairs<T>(n_dims, 1, ...) with ic = i0). Hugging Face's rotate_half pairs
  i with i + d/2 instead, which is why convert_hf_to_gguf.py permutes Q/K; with
  NORM mode here, Q/K rows are already in llama.cpp's order and export as they are.
- Attention: causal softmax(q k^T / sqrt(head_dim)) v; grouped-query heads: query
  head h reads kv head h // (n_head / n_head_kv) (ggml_mul_mat broadcasting).
- SwiGLU FFN: down(silu(gate(x)) * up(x)); no biases anywhere.
- Tied output: no output.weight in the GGUF, so llama.cpp multiplies by token_embd.

Linear weights are (out, in) row-major, which is the byte layout of a GGUF tensor
with ggml shape [in, out]: the export writes them without any transposition.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 8192
    n_embd: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_head_kv: int = 2
    n_ff: int = 768
    context: int = 256
    rope_base: float = 10000.0
    rms_eps: float = 1e-5

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, n: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg: Config, positions: torch.Tensor):
    """cos/sin of shape (T, head_dim/2), with the angles computed as ggml_rope_cache_init does:
    theta_scale = powf(base, -2/n_dims) in float32 and theta_{i+1} = theta_i * theta_scale, in float32."""
    import numpy as np
    d = cfg.head_dim
    scale = np.float32(np.power(np.float32(cfg.rope_base), np.float32(-2.0) / np.float32(d), dtype=np.float32))
    pos = positions.numpy().astype(np.float32)
    ang = np.empty((len(pos), d // 2), dtype=np.float32)
    theta = pos.copy()
    for i in range(d // 2):
        ang[:, i] = theta
        theta = (theta * scale).astype(np.float32)
    ang64 = torch.from_numpy(ang.astype(np.float64))
    return torch.cos(ang64).float(), torch.sin(ang64).float()


def apply_rope_norm(x, cos, sin):
    """x: (B, T, H, D). NORM mode: rotate (x[2i], x[2i+1])."""
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    r0 = x0 * c - x1 * s
    r1 = x0 * s + x1 * c
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        d, hd = cfg.n_embd, cfg.head_dim
        self.attn_norm = RMSNorm(d, cfg.rms_eps)
        self.wq = nn.Linear(d, cfg.n_head * hd, bias=False)
        self.wk = nn.Linear(d, cfg.n_head_kv * hd, bias=False)
        self.wv = nn.Linear(d, cfg.n_head_kv * hd, bias=False)
        self.wo = nn.Linear(cfg.n_head * hd, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.rms_eps)
        self.w_gate = nn.Linear(d, cfg.n_ff, bias=False)
        self.w_up = nn.Linear(d, cfg.n_ff, bias=False)
        self.w_down = nn.Linear(cfg.n_ff, d, bias=False)

    def forward(self, x, cos, sin, mask):
        cfg = self.cfg
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, cfg.n_head, cfg.head_dim)
        k = self.wk(h).view(B, T, cfg.n_head_kv, cfg.head_dim)
        v = self.wv(h).view(B, T, cfg.n_head_kv, cfg.head_dim)
        q = apply_rope_norm(q, cos, sin).transpose(1, 2)  # B H T D
        k = apply_rope_norm(k, cos, sin).transpose(1, 2)
        v = v.transpose(1, 2)
        rep = cfg.n_head // cfg.n_head_kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(cfg.head_dim))
        att = att.masked_fill(mask[:T, :T], float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, cfg.n_head * cfg.head_dim)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Llama(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.tok_embd = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.output_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        mask = torch.triu(torch.ones(cfg.context, cfg.context, dtype=torch.bool), diagonal=1)
        self.register_buffer('mask', mask, persistent=False)
        cos, sin = rope_tables(cfg, torch.arange(cfg.context))
        self.register_buffer('cos', cos, persistent=False)
        self.register_buffer('sin', sin, persistent=False)
        self.reset_parameters()

    def reset_parameters(self):
        std = 0.02
        resid = std / math.sqrt(2 * self.cfg.n_layer)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p)
            elif name.endswith('wo.weight') or name.endswith('w_down.weight'):
                nn.init.normal_(p, 0.0, resid)
            else:
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok_embd(idx)
        cos, sin = self.cos[:T], self.sin[:T]
        for b in self.blocks:
            x = b(x, cos, sin, self.mask)
        x = self.output_norm(x)
        return x @ self.tok_embd.weight.t()  # tied output head

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def gguf_tensors(model: Llama):
    """(gguf name, ggml shape, tensor) in llama.cpp's names; 2-D shapes are [in, out]."""
    out = [('token_embd.weight', [model.cfg.n_embd, model.cfg.vocab_size], model.tok_embd.weight)]
    for i, b in enumerate(model.blocks):
        p = f'blk.{i}.'
        for name, t in [
            ('attn_norm.weight', b.attn_norm.weight),
            ('attn_q.weight', b.wq.weight),
            ('attn_k.weight', b.wk.weight),
            ('attn_v.weight', b.wv.weight),
            ('attn_output.weight', b.wo.weight),
            ('ffn_norm.weight', b.ffn_norm.weight),
            ('ffn_gate.weight', b.w_gate.weight),
            ('ffn_up.weight', b.w_up.weight),
            ('ffn_down.weight', b.w_down.weight),
        ]:
            shape = [t.shape[0]] if t.dim() == 1 else [t.shape[1], t.shape[0]]
            out.append((p + name, shape, t))
    out.append(('output_norm.weight', [model.cfg.n_embd], model.output_norm.weight))
    return out
