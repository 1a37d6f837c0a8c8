"""The NumPy twin of package detfill (detfill.go): deterministic values
for parity fixtures of models too large to commit. Imported by
models/tv/testdata/gen_tv.py and models/seg/testdata/gen_densenet.py."""
import numpy as np
import torch

M64 = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def fnv1a(s):
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & M64
    return h


def uniform(name, n):
    """n values in [-1, 1): (splitmix64(fnv1a(name) + i) >> 11) / 2^53 * 2 - 1."""
    i = np.arange(n, dtype=np.uint64)
    z = np.uint64(fnv1a(name)) + i + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return torch.from_numpy((z >> np.uint64(11)).astype(np.float64) / 2.0**53 * 2 - 1)


def fill(name, t):
    """detfill.Fill: the value of state-dict tensor name."""
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
