#!/usr/bin/env python3
"""Generates optim_ref.json: PyTorch reference trajectories for package optim.

Run from this directory with Debian's PyTorch:
    /usr/bin/python3 gen_optim.py > optim_ref.json

Each case starts from fixed parameters, feeds the optimizer a fixed sequence of
gradients (recorded in the fixture, so the Go test needs no autograd), and
records the parameters after every step. Gradients are set directly on .grad,
which is what loss.backward() would do.
"""
import json
import math

import torch

STEPS = 5


def tensors(seed, shapes):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=g) for s in shapes]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run_case(name, make_opt, shapes=((3, 4), (5,)), groups=None, steps=STEPS):
    params = [torch.nn.Parameter(t) for t in tensors(1, shapes)]
    init = [flat(p) for p in params]
    if groups is None:
        opt = make_opt(params)
    else:
        opt = make_opt([{"params": [params[i] for i in idx], "lr": lr} for idx, lr in groups])
    grads_seq, after = [], []
    for s in range(steps):
        grads = tensors(100 + s, shapes)
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()
        grads_seq.append([flat(g) for g in grads])
        after.append([flat(p) for p in params])
    return {
        "name": name,
        "shapes": [list(s) for s in shapes],
        "groups": [{"params": list(idx), "lr": lr} for idx, lr in groups] if groups else None,
        "init": init,
        "grads": grads_seq,
        "after": after,
    }


def optim_cases():
    SGD, Adam, AdamW, Adamax = torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adamax
    cases = [
        ("sgd", lambda p: SGD(p, lr=0.1)),
        ("sgd_momentum", lambda p: SGD(p, lr=0.05, momentum=0.9)),
        ("sgd_momentum_dampening_wd", lambda p: SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-2)),
        ("sgd_nesterov_wd", lambda p: SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)),
        ("adam", lambda p: Adam(p, lr=1e-3)),
        ("adam_betas_eps_wd", lambda p: Adam(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2)),
        ("adamw", lambda p: AdamW(p, lr=1e-3, weight_decay=1e-2)),
        ("adamax", lambda p: Adamax(p, lr=2e-3)),
        ("adamax_wd", lambda p: Adamax(p, lr=2e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2)),
    ]
    out = [run_case(n, f) for n, f in cases]
    # Parameter groups with their own learning rates (encoder 1e-4, decoder 4e-4 as in the paper).
    out.append(run_case("adam_groups", lambda g: Adam(g, lr=1e-3), groups=[((0,), 1e-4), ((1,), 4e-4)]))
    out.append(run_case("adamax_groups", lambda g: Adamax(g, lr=1e-3), groups=[((0,), 1e-4), ((1,), 4e-4)]))
    return out


def schedule_cases():
    out = []
    for base, tmax, eta_min, epochs in [((1e-4, 4e-4), 50, 1e-7, 40), ((0.1,), 10, 0.0, 25), ((1e-3,), 7, 1e-5, 16)]:
        ps = [torch.nn.Parameter(torch.zeros(1)) for _ in base]
        opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, base)], lr=1.0)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=tmax, eta_min=eta_min)
        lrs = []
        for _ in range(epochs):
            lrs.append([g["lr"] for g in opt.param_groups])
            opt.step()
            sched.step()
        out.append({"base": list(base), "t_max": tmax, "eta_min": eta_min, "lrs": lrs})
    return out


def clip_cases():
    out = []
    for max_norm, scale in [(1.0, 1.0), (100.0, 1.0), (0.5, 3.0)]:
        shapes = ((3, 4), (5,))
        params = [torch.nn.Parameter(torch.zeros(*s)) for s in shapes]
        grads = tensors(7, shapes)
        for p, g in zip(params, grads):
            p.grad = g * scale
        before = [flat(p.grad) for p in params]
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        out.append({"max_norm": max_norm, "shapes": [list(s) for s in shapes], "grads": before,
                    "norm": float(norm), "clipped": [flat(p.grad) for p in params]})
    return out


if __name__ == "__main__":
    torch.set_num_threads(1)
    doc = {"torch": torch.__version__, "optim": optim_cases(), "cosine": schedule_cases(), "clip": clip_cases()}
    print(json.dumps(doc))
