#!/usr/bin/env python3
"""Exports the inference anchors of the speed issue to ONNX with
torch.onnx and times PyTorch on them: torchvision's
deeplabv3_mobilenet_v3_large and lraspp_mobilenet_v3_large (random
weights, 21 classes, 1 x 3 x 512 x 1024) and the shared segnet-ref
forward (8 x 3 x 64 x 64, ../shared/bench/torch_reference.py's network).
Writes OUT/NAME.onnx and prints one JSON line per model with PyTorch's
median forward ms (2 threads). ort_forward.js times the same files in
ONNX Runtime. Never run by `go test`.

  /usr/bin/python3 tools/bench/export_onnx.py OUT [--iters 7]
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


class SegNetRef(nn.Module):  # as ../shared/bench/torch_reference.py
    def __init__(self, classes=10):
        super().__init__()
        specs = [(3, 32, 1), (32, 64, 2), (64, 64, 1), (64, 64, 1), (64, 32, 1)]
        self.body = nn.ModuleList(nn.Conv2d(i, o, 3, stride=s, padding=1) for i, o, s in specs)
        self.head = nn.Conv2d(32, classes, 3, padding=1)

    def forward(self, x):
        for conv in self.body:
            x = F.relu(conv(x))
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.head(x)


class Out(nn.Module):  # torchvision's dict output -> the "out" tensor
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, x):
        return self.m(x)["out"]


def median_ms(fn, iters):
    fn()
    ts = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--iters", type=int, default=7)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    models = {
        "segnet-ref": (SegNetRef(), (8, 3, 64, 64)),
        "deeplabv3_mobilenet_v3_large": (Out(torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=21)), (1, 3, 512, 1024)),
        "lraspp_mobilenet_v3_large": (Out(torchvision.models.segmentation.lraspp_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=21)), (1, 3, 512, 1024)),
    }
    for name, (m, shape) in models.items():
        m.eval()
        x = torch.randn(*shape)
        path = os.path.join(a.out, name + ".onnx")
        torch.onnx.export(m, x, path, opset_version=13, input_names=["input"], output_names=["logits"])
        if name != "segnet-ref":
            torch.save(m.m.state_dict(), os.path.join(a.out, name + ".pth"))
        with torch.no_grad():
            ms = median_ms(lambda: m(x), a.iters)
        print(json.dumps({"model": name, "shape": list(shape), "torch_forward_ms": round(ms, 2), "onnx": path}))


main()
