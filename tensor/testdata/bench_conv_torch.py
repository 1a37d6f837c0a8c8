#!/usr/bin/env python3
"""PyTorch CPU timings of the per-layer kernels that BenchmarkConv2d,
BenchmarkResizeBilinear and BenchmarkSoftmaxChannels measure, for side-by-side
comparison on the same machine:

    /usr/bin/python3 tensor/testdata/bench_conv_torch.py [--threads 2]

Backward times the conv2d VJP only (input and weight gradients via
torch.ops.aten.convolution_backward, plus the bias gradient), like
tensor.Conv2dBackward.
"""
import argparse
import time

import torch
import torch.nn.functional as F


def median_ms(fn, warmup=3, iters=20):
    """Median wall ms and median process CPU ms (all threads) of fn.

    On a shared, busy machine the CPU time is the steadier measure; the Go
    benchmarks report the same pair (ns/op and cpu-ms/op)."""
    for _ in range(warmup):
        fn()
    ts, cs = [], []
    for _ in range(iters):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
        cs.append((time.process_time() - c0) * 1e3)
    ts.sort()
    cs.sort()
    return f"{ts[len(ts) // 2]:7.3f} ms ({cs[len(cs) // 2]:7.3f} cpu-ms)"


LAYERS = [  # name, ci, h, co, stride, need_gx
    ("c1_3to32_64px", 3, 64, 32, 1, False),
    ("c2_32to64_s2", 32, 64, 64, 2, True),
    ("c3_64to64_32px", 64, 32, 64, 1, True),
    ("c5_64to32_32px", 64, 32, 32, 1, True),
    ("head_32to10_64px", 32, 64, 10, 1, True),
]

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name, ci, h, co, s, need_gx in LAYERS:
        x = torch.randn(8, ci, h, h)
        w = torch.randn(co, ci, 3, 3) * 0.1
        b = torch.randn(co) * 0.1
        with torch.no_grad():
            y = F.conv2d(x, w, b, stride=s, padding=1)
            fwd = median_ms(lambda: F.conv2d(x, w, b, stride=s, padding=1))
            bwd = median_ms(lambda: torch.ops.aten.convolution_backward(
                y, x, w, [co], [s, s], [1, 1], [1, 1], False, [0, 0], 1, [need_gx, True, True]))
        print(f"conv {name:18s} fwd {fwd}  bwd {bwd}")
    x = torch.randn(8, 32, 32, 32)
    gy = torch.randn(8, 32, 64, 64)
    xr = x.clone().requires_grad_(True)
    yr = F.interpolate(xr, scale_factor=2, mode="bilinear", align_corners=False)
    with torch.no_grad():
        print(f"resize x2 fwd {median_ms(lambda: F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))}")
    print(f"resize x2 bwd {median_ms(lambda: torch.autograd.grad(yr, xr, gy, retain_graph=True))}")
    for shape in [(8, 10, 64, 64), (1, 19, 256, 512)]:
        x = torch.randn(*shape) * 3
        with torch.no_grad():
            print(f"softmax {list(shape)} {median_ms(lambda: torch.softmax(x, 1))}"
                  f"  log_softmax {median_ms(lambda: torch.log_softmax(x, 1))}")
