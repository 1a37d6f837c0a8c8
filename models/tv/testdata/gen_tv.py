"""Writes parity.json: torchvision segmentation models and NVIDIA's
DeepWV3Plus (deepwv3plus_ref.py, our PyTorch definition of its layout) (0.14, Debian's
python3-torchvision) with deterministic weights, on a deterministic
256x512 input, and 4096 sampled logits of each, with max|logit|. The Go
test fills its own models with the same formula (fill.go) and must match
within 1e-4 of max|logit|. Weights cannot be committed (40-60 M
parameters); the formula replaces them. Run: /usr/bin/python3 gen_tv.py"""
import json

import torch
import torchvision

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
    h = fnv1a(name)
    import numpy as np
    i = np.arange(n, dtype=np.uint64)
    z = (np.uint64(h) + i + np.uint64(0x9E3779B97F4A7C15))
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return torch.from_numpy(((z >> np.uint64(11)).astype(np.float64) / 2.0**53 * 2 - 1))


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
        fan_in = t[0].numel()
        v = u * (6.0 / fan_in) ** 0.5
    return v.to(torch.float32)


def main():
    torch.set_num_threads(2)
    x = uniform("input", 3 * 256 * 512).reshape(1, 3, 256, 512).to(torch.float32)
    out = {}
    for arch in ["fcn_resnet50", "deeplabv3_resnet50", "deeplabv3_resnet101",
                 "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large", "deepwv3plus"]:
        if arch == "deepwv3plus":
            from deepwv3plus_ref import DeepWV3Plus
            m = DeepWV3Plus(num_classes=21)
        else:
            m = getattr(torchvision.models.segmentation, arch)(weights=None, weights_backbone=None, num_classes=21, aux_loss=False)
        sd = m.state_dict()
        for k, v in sd.items():
            if v.is_floating_point():
                v.copy_(fill(k, v))
        m.eval()
        with torch.no_grad():
            y = m(x)
            y = y["out"] if isinstance(y, dict) else y
        flat = y.flatten()
        idx = [splitmix64(k) % flat.numel() for k in range(4096)]
        out[arch] = {"shape": list(y.shape), "max_abs": float(y.abs().max()),
                     "index": idx, "value": [float(flat[i]) for i in idx]}
        print(arch, out[arch]["max_abs"])
    json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "models": out},
              open("parity.json", "w"))


main()
