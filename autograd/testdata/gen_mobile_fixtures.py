#!/usr/bin/env python3
"""Writes mobile_ops.json: MobileNetV3's ops in PyTorch — depthwise
convolution (groups = channels; 3x3 and 5x5, strided, dilated, with and
without bias), hard-swish, hard-sigmoid, squeeze-and-excitation's
per-sample channel scaling and align_corners=True bilinear resizing (NVIDIA's
DeepWV3Plus) — with a scalar loss sum(y * r) for a fixed
random r, and the gradients of every input. The Go test
TestMobileOpsMatchTorch (autograd/ops_mobile_test.go) recomputes them.

Run from the repository root: /usr/bin/python3 autograd/testdata/gen_mobile_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20261207)


def t(x):
    return {"shape": list(x.shape), "data": x.detach().flatten().tolist()}


cases = []
for k, stride, pad, dil, bias in [(3, 1, 1, 1, True), (3, 2, 1, 1, False), (5, 1, 2, 1, True), (5, 2, 2, 1, True), (3, 1, 2, 2, False), (5, 1, 4, 2, True)]:
    x = torch.randn(2, 4, 9, 11, requires_grad=True)
    w = (torch.randn(4, 1, k, k) * 0.3).requires_grad_()
    b = (torch.randn(4) * 0.1).requires_grad_() if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=4)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    c = {"op": "depthwise", "k": k, "stride": stride, "pad": pad, "dilation": dil,
         "x": t(x), "w": t(w), "r": t(r), "y": t(y), "gx": t(x.grad), "gw": t(w.grad)}
    if bias:
        c["b"], c["gb"] = t(b), t(b.grad)
    cases.append(c)

for op, f in [("hardswish", F.hardswish), ("hardsigmoid", F.hardsigmoid)]:
    x = (torch.randn(3, 5, 4, 4) * 3).requires_grad_()
    y = f(x)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    cases.append({"op": op, "x": t(x), "r": t(r), "y": t(y), "gx": t(x.grad)})

x = torch.randn(2, 3, 4, 5, requires_grad=True)
s = torch.rand(2, 3, 1, 1).requires_grad_()
y = x * s
r = torch.randn_like(y)
(y * r).sum().backward()
cases.append({"op": "scale", "x": t(x), "s": t(s), "r": t(r), "y": t(y), "gx": t(x.grad), "gs": t(s.grad)})

for oh, ow in [(9, 13), (3, 1), (17, 4)]:
    x = torch.randn(2, 3, 5, 7, requires_grad=True)
    y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=True)
    r = torch.randn_like(y)
    (y * r).sum().backward()
    cases.append({"op": "resize_aligned", "oh": oh, "ow": ow, "x": t(x), "r": t(r), "y": t(y), "gx": t(x.grad)})

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mobile_ops.json")
json.dump({"torch": torch.__version__, "cases": cases}, open(out, "w"))
