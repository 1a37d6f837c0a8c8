"""Writes densenet.json: torchvision's densenet121 features up to
denseblock4 (before norm5) on a 64x96 input, with the deterministic
weights of internal/detfill (filled by torchvision's names). The Go test
TestLDN121EncoderMatchesDenseNet121 fills the ldn121 preset's encoder
through the import name mapping and must match.
Run: /usr/bin/python3 models/seg/testdata/gen_densenet.py (python3-torchvision)"""
import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../internal/detfill"))
from detfill import fill, uniform  # noqa: E402  (internal/detfill/detfill.py)


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
