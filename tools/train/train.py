"""
Trains the TokenTree code model on the rows tools/train/prepare.ts wrote, on the CPU.

  /usr/bin/python3 tools/train/train.py --data .cache/train --out .cache/train/run [--steps N] ...

Writes to --out:
  weights.f32     every tensor as little-endian float32, in GGUF order, concatenated
  weights.json    config, tensor names / ggml shapes / element offsets, training summary
  probe.json      torch log-probs (with the weights rounded to F16, as the GGUF stores them)
                  at the probe inputs, for the llama.cpp agreement check and test fixture
                  (see probe.py)
  log.jsonl       one line per logged step
  checkpoint.pt   model, optimiser and position, every --checkpoint-every steps and when stopped

Stopping is safe at any time: SIGTERM or SIGINT (Ctrl-C) finishes the step in progress, writes
checkpoint.pt and exits with status 3; the same command with --resume continues from it and ends
with the weights an uninterrupted run would have had (the batch order is a function of the seed,
and nothing else in training is random). --init DIR starts from weights instead of from random
ones: from-gguf.ts writes a committed GGUF's weights in this run's format.
"""
import argparse
import json
import math
import os
import signal
import sys

# BLAS threads are fixed before numpy/torch load (a different count changes summation order).
for _v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ.setdefault(_v, os.environ.get('TRAIN_THREADS', '1'))
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Llama, gguf_tensors  # noqa: E402
from probe import load_run, write_probe  # noqa: E402

PAD = 0xFFFF


def load_rows(path, row):
    a = np.fromfile(path, dtype='<u2')
    return a.reshape(-1, row)


def batch_tensors(rows, eos):
    x = torch.from_numpy(rows[:, :-1].astype(np.int64))
    y = torch.from_numpy(rows[:, 1:].astype(np.int64))
    x[x == PAD] = eos
    y[y == PAD] = -100
    return x, y


@torch.no_grad()
def evaluate(model, rows, eos, batch=16, mask=None, device='cpu'):
    """Mean loss (nats/token) over non-padding targets, and with mask also over the targets
    where mask[:, 1:] == 1 (FIM middles). Returns (loss, count, masked_loss, masked_count)."""
    model.eval()
    total, count, mtotal, mcount = 0.0, 0, 0.0, 0
    for s in range(0, len(rows), batch):
        x, y = batch_tensors(rows[s:s + batch], eos)
        x, y = x.to(device), y.to(device)
        logits = model(x)
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100, reduction='none')
        valid = (y.reshape(-1) != -100)
        total += nll[valid].sum().item()
        count += int(valid.sum())
        if mask is not None:
            m = torch.from_numpy(mask[s:s + batch, 1:].astype(np.bool_)).reshape(-1).to(device) & valid
            mtotal += nll[m].sum().item()
            mcount += int(m.sum())
    model.train()
    return total / max(count, 1), count, mtotal / max(mcount, 1), mcount


def spread(rows, n):
    """n rows evenly spaced over the set (all of them when there are fewer)."""
    if len(rows) <= n:
        return rows
    return rows[np.linspace(0, len(rows) - 1, n).round().astype(np.int64)]


def lr_at(step, steps, peak, warmup, min_frac):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (min_frac + (1 - min_frac) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--steps', type=int, default=750)
    ap.add_argument('--batch', type=int, default=8, help='rows of 256 tokens per step')
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--min-lr-frac', type=float, default=0.1)
    ap.add_argument('--warmup', type=int, default=30)
    ap.add_argument('--wd', type=float, default=0.1)
    ap.add_argument('--clip', type=float, default=1.0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=int(os.environ.get('TRAIN_THREADS', '1')))
    ap.add_argument('--log-every', type=int, default=10)
    ap.add_argument('--eval-rows', type=int, default=256, help='held-out rows evaluated at the end (val: half)')
    ap.add_argument('--eval-every', type=int, default=0, help='steps between quick val evals (0: only at the end)')
    ap.add_argument('--device', default='cpu', help="'cpu' (this fallback) or e.g. 'cuda' with a CUDA build of torch")
    ap.add_argument('--n-layer', type=int, default=4)
    ap.add_argument('--n-embd', type=int, default=256)
    ap.add_argument('--n-head', type=int, default=4)
    ap.add_argument('--n-head-kv', type=int, default=2)
    ap.add_argument('--n-ff', type=int, default=768)
    ap.add_argument('--init', help='directory with weights.f32 / weights.json to start from (from-gguf.ts)')
    ap.add_argument('--resume', action='store_true', help='continue from --out/checkpoint.pt when there is one')
    ap.add_argument('--checkpoint-every', type=int, default=100)
    ap.add_argument('--stop-after', type=int, default=0, help='stop (as on SIGTERM) once this step is done: a run in parts')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    data = json.load(open(os.path.join(args.data, 'data.json')))
    ctx = data['context']
    row = ctx + 1
    eos = data['roles']['eos']
    cfg = Config(vocab_size=data['vocab'], n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head,
                 n_head_kv=args.n_head_kv, n_ff=args.n_ff, context=ctx)
    init_summary = None
    if args.init:
        model = load_run(args.init, context=ctx).to(args.device)
        model.train()
        if model.cfg.to_dict() != cfg.to_dict():
            raise SystemExit(f'--init {args.init}: its shape {model.cfg.to_dict()} is not this run\'s {cfg.to_dict()}')
        init_summary = json.load(open(os.path.join(args.init, 'weights.json')))['summary']
    else:
        model = Llama(cfg).to(args.device)
    n_params = model.n_params()
    n_embd_params = model.tok_embd.weight.numel()
    print(f'torch {torch.__version__}, {args.threads} thread(s); params {n_params:,} '
          f'({n_params - n_embd_params:,} without the tied embedding)', flush=True)

    train = load_rows(os.path.join(args.data, 'train.u16'), row)
    val = load_rows(os.path.join(args.data, 'val.u16'), row)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(train))
    need = args.steps * args.batch
    while len(order) < need:
        order = np.concatenate([order, rng.permutation(len(train))])

    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': args.wd}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    ckpt_path = os.path.join(args.out, 'checkpoint.pt')
    # What must not change between a run and its resumption.
    identity = {'steps': args.steps, 'batch': args.batch, 'seed': args.seed, 'lr': args.lr, 'warmup': args.warmup,
                'min_lr_frac': args.min_lr_frac, 'wd': args.wd, 'clip': args.clip, 'init': args.init,
                'rows': len(train), 'corpus': data['corpusSha256'], 'config': cfg.to_dict()}
    start, tokens_seen, elapsed_before = 0, 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        if ck['identity'] != identity:
            diff = {k: (ck['identity'].get(k), v) for k, v in identity.items() if ck['identity'].get(k) != v}
            raise SystemExit(f'{ckpt_path} belongs to a different run (checkpoint, now): {diff}')
        model.load_state_dict(ck['model'])
        opt.load_state_dict(ck['optimizer'])
        start, tokens_seen, elapsed_before = ck['step'], ck['tokens'], ck['elapsed_s']
        print(f'resuming at step {start} of {args.steps} ({tokens_seen:,} tokens trained)', flush=True)

    def save_checkpoint(step_done, elapsed):
        tmp = ckpt_path + '.tmp'
        torch.save({'identity': identity, 'model': model.state_dict(), 'optimizer': opt.state_dict(),
                    'step': step_done, 'tokens': tokens_seen, 'elapsed_s': elapsed}, tmp)
        os.replace(tmp, ckpt_path)  # a stop during the write leaves the previous checkpoint whole

    stop_requested = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop_requested.append(signum))

    log = open(os.path.join(args.out, 'log.jsonl'), 'a' if start > 0 else 'w')
    t0 = time.time() - elapsed_before
    recent = []
    for step in range(start, args.steps):
        lr = lr_at(step, args.steps, args.lr, args.warmup, args.min_lr_frac)
        for g in opt.param_groups:
            g['lr'] = lr
        rows = train[order[step * args.batch:(step + 1) * args.batch]]
        x, y = batch_tensors(rows, eos)
        x, y = x.to(args.device), y.to(args.device)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        tokens_seen += int((y != -100).sum())
        recent.append(loss.item())
        if (step + 1) % args.log_every == 0 or step == 0 or step + 1 == args.steps:
            el = time.time() - t0
            rec = {'step': step + 1, 'loss': sum(recent) / len(recent), 'lr': lr, 'gnorm': float(gnorm),
                   'tokens': tokens_seen, 'elapsed_s': round(el, 1), 'tok_per_s': round(tokens_seen / el)}
            if args.eval_every and (step + 1) % args.eval_every == 0:
                rec['val_loss'] = evaluate(model, spread(val, 32), eos, device=args.device)[0]
            recent = []
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + '\n')
            log.flush()
        if args.stop_after and step + 1 == args.stop_after and step + 1 < args.steps:
            stop_requested.append('--stop-after')
        if stop_requested or (args.checkpoint_every and (step + 1) % args.checkpoint_every == 0 and step + 1 < args.steps):
            save_checkpoint(step + 1, time.time() - t0)
        if stop_requested:
            print(f'stopped after step {step + 1} of {args.steps}; checkpoint {ckpt_path}; '
                  'run again with --resume to continue', flush=True)
            sys.exit(3)
    train_seconds = time.time() - t0

    # Final evaluation (fp32 torch model).
    t1 = time.time()
    final_train = evaluate(model, train[order[max(0, need - 64):need]], eos, device=args.device)[0]  # last 64 rows trained on
    val_loss, val_n = evaluate(model, spread(val, args.eval_rows // 2), eos, device=args.device)[:2]
    held_plain = load_rows(os.path.join(args.data, 'heldout-plain.u16'), row)
    held_fim = load_rows(os.path.join(args.data, 'heldout-fim.u16'), row)
    held_mask = np.fromfile(os.path.join(args.data, 'heldout-fim.mask'), dtype=np.uint8).reshape(-1, row)
    hp, hp_n = evaluate(model, spread(held_plain, args.eval_rows), eos, device=args.device)[:2]
    pick = np.linspace(0, len(held_fim) - 1, min(len(held_fim), args.eval_rows)).round().astype(np.int64)
    hf, hf_n, hm, hm_n = evaluate(model, held_fim[pick], eos, mask=held_mask[pick], device=args.device)
    bpt = data['heldout']['bytesPerToken']
    losses = {
        'train_last64rows': final_train, 'val': val_loss, 'val_tokens': val_n,
        'heldout_plain': hp, 'heldout_plain_tokens': hp_n, 'heldout_plain_bits_per_byte': hp / math.log(2) / bpt,
        'heldout_fim_all': hf, 'heldout_fim_all_tokens': hf_n, 'heldout_fim_middle': hm, 'heldout_fim_middle_tokens': hm_n,
    }
    print(json.dumps({'losses': losses, 'eval_s': round(time.time() - t1, 1)}), flush=True)

    # Export raw weights in GGUF order.
    tensors, offset = [], 0
    with open(os.path.join(args.out, 'weights.f32'), 'wb') as f:
        for name, shape, t in gguf_tensors(model):
            a = t.detach().cpu().contiguous().numpy().astype('<f4')
            assert a.size == int(np.prod(shape)), name
            f.write(a.tobytes())
            tensors.append({'name': name, 'shape': shape, 'offset': offset, 'count': int(a.size)})
            offset += a.size
    summary = {
        'config': cfg.to_dict(), 'params': n_params, 'params_without_embedding': n_params - n_embd_params,
        'steps': args.steps, 'batch_rows': args.batch, 'context': ctx, 'tokens_trained': tokens_seen,
        'lr': args.lr, 'min_lr_frac': args.min_lr_frac, 'warmup': args.warmup, 'weight_decay': args.wd,
        'seed': args.seed, 'threads': args.threads, 'device': args.device, 'train_seconds': round(train_seconds, 1),
        'tok_per_s': round(tokens_seen / max(train_seconds, 1e-9)), 'losses': losses,
        'torch': torch.__version__, 'continued_from': init_summary,
    }
    json.dump({'tensors': tensors, 'summary': summary}, open(os.path.join(args.out, 'weights.json'), 'w'), indent=1)

    # Reference log-probs for the llama.cpp agreement check, from the weights as written.
    write_probe(load_run(args.out), args.data, os.path.join(args.out, 'probe.json'))
    print(f'wrote {args.out}/weights.f32 ({offset:,} floats), weights.json, probe.json', flush=True)


if __name__ == '__main__':
    main()
