"""Writes parity.json: torchvision segmentation models and NVIDIA's
DeepWV3Plus (deepwv3plus_ref.py, our PyTorch definition of its layout),
torchvision 0.14 (Debian's python3-torchvision), with deterministic
weights (internal/detfill) on a deterministic 256x512 input: 4096 sampled
logits of each and max|logit|. The Go test fills its models with the same
formula and must match within 1e-4 of max|logit|. Weights cannot be
committed (3-137 M parameters); the formula replaces them. Run: /usr/bin/python3 gen_tv.py"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../internal/detfill"))
from detfill import fill, splitmix64, uniform  # noqa: E402  (internal/detfill/detfill.py)


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
