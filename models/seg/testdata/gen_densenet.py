"""Writes densenet.json: torchvision's densenet121 features up to
denseblock4 (before norm5) on a 64x96 input, with the deterministic
weights of internal/detfill (filled by torchvision's names). The Go test
TestLDN121EncoderMatchesDenseNet121 fills the ldn121 preset's encoder
through the import name mapping and must match.
Run: /usr/bin/python3 models/seg/testdata/gen_densenet.py (python3-torchvision)"""
import json
import os

import numpy as np
import torch
import torchvision

M64 = (1 << 64) - 1


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def uniform(name, n):
    i = np.arange(n, dtype=np.uint64)
    z = np.uint64(fnv1a(name)) + i + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return torch.from_numpy((z >> np.uint64(11)).astype(np.float64) / 2.0**53 * 2 - 1)


def fill(name, t):
    u = uniform(name, t.numel()).reshape(t.shape)
    if name.endswith("running_var"):
        v = 1 + 0.25 * u
    elif name.endswith("running_mean"):
        v = 0.1 * u
    elif t.dim() == 1 and name.endswith("weight"):
        v = 1 + 0.1 * u
    elif t.dim() == 1:
        v = 0.1 * u
    else:
        v = u * (6.0 / t[0].numel()) ** 0.5
    return v.to(torch.float32)


m = torchvision.models.densenet121(weights=None)
for k, v in m.state_dict().items():
    if v.is_floating_point():
        v.copy_(fill(k, v))
m.eval()
x = uniform("input", 3 * 64 * 96).reshape(1, 3, 64, 96).to(torch.float32)
with torch.no_grad():
    y = m.features[:-1](x)  # without norm5
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "densenet.json")
json.dump({"torchvision": torchvision.__version__, "shape": list(y.shape), "max_abs": float(y.abs().max()),
           "values": y.flatten().tolist()}, open(out, "w"))
print(y.shape, float(y.abs().max()))
