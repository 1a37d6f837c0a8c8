#!/usr/bin/env python3
"""Generate PyTorch reference values for the tensor kernels' tests.

Run from the repository root (needs Debian's python3-torch):

    /usr/bin/python3 tensor/testdata/gen_kernels.py

Writes tensor/testdata/kernels.json (the index: one entry per case with its
op, parameters and the shape and offset of every tensor) and
tensor/testdata/kernels.bin (all tensors, float32 little-endian, back to
back). Inputs are small random tensors; gradients are the VJPs of
sum(y * gy) for a random gy, computed by torch.autograd.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

cases = []
blob = []
offset = 0


def add(name, op, params, **tensors):
    global offset
    entry = {"name": name, "op": op, "params": params, "tensors": {}}
    for key, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        entry["tensors"][key] = {"shape": list(a.shape), "offset": offset}
        blob.append(a.tobytes())
        offset += a.size
    cases.append(entry)


def grads(fn, inputs, extra=()):
    """Forward fn(*inputs), then VJP with a random cotangent gy."""
    ins = [t.clone().requires_grad_(True) for t in inputs]
    y = fn(*ins)
    gy = torch.randn_like(y)
    (y * gy).sum().backward()
    return y, gy, [t.grad for t in ins]


# Conv2d: (N, Ci, H, W, Co, k, stride, pad, dilation, bias)
conv_cases = [
    (2, 3, 7, 7, 4, 3, 1, 1, 1, True),
    (1, 3, 15, 17, 5, 3, 2, 1, 1, True),
    (1, 4, 9, 8, 3, 3, 1, 2, 2, True),
    (2, 5, 7, 7, 6, 1, 1, 0, 1, True),     # 1x1 fast path
    (2, 5, 7, 8, 6, 1, 1, 0, 1, False),    # 1x1 fast path, no bias
    (1, 3, 8, 8, 2, 1, 2, 0, 1, False),    # 1x1 stride 2 (im2col path)
    (1, 2, 17, 15, 3, 5, 3, 2, 1, True),
    (1, 3, 6, 6, 2, 2, 1, 0, 1, False),    # even kernel
    (2, 4, 5, 5, 3, 3, 1, 0, 1, True),     # no padding
    (1, 3, 7, 7, 2, 3, 2, 3, 2, True),     # stride + dilation + wide pad
]
for i, (n, ci, h, w, co, k, s, p, d, bias) in enumerate(conv_cases):
    x = torch.randn(n, ci, h, w)
    wt = torch.randn(co, ci, k, k) * 0.3
    b = torch.randn(co) if bias else None
    inputs = [x, wt] + ([b] if bias else [])
    y, gy, g = grads(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, stride=s, padding=p, dilation=d), inputs)
    extra = {"b": b, "gb": g[2]} if bias else {"gb": gy.sum(dim=(0, 2, 3))}
    add(f"conv2d_{i}", "conv2d", {"stride": s, "pad": p, "dilation": d}, x=x, w=wt, gy=gy, y=y, gx=g[0], gw=g[1], **extra)

# ConvTranspose2d: (N, Ci, H, W, Co, k, stride, pad, output_padding, dilation)
convt_cases = [
    (2, 4, 5, 5, 3, 3, 2, 1, 1, 1),
    (1, 3, 4, 6, 2, 4, 2, 1, 0, 1),
    (1, 2, 3, 3, 2, 3, 1, 0, 0, 1),
    (2, 3, 4, 5, 4, 3, 2, 2, 1, 2),
    (2, 2, 5, 6, 4, 3, 1, 1, 0, 1),     # stride 1, widening: flipped-conv path
    (1, 2, 4, 4, 3, 3, 1, 1, 1, 2),     # stride 1 with output padding (dilation 2)
]
for i, (n, ci, h, w, co, k, s, p, op, d) in enumerate(convt_cases):
    x = torch.randn(n, ci, h, w)
    wt = torch.randn(ci, co, k, k) * 0.3
    b = torch.randn(co)
    y, gy, g = grads(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op, dilation=d), [x, wt, b])
    add(f"convt2d_{i}", "conv_transpose2d", {"stride": s, "pad": p, "out_pad": op, "dilation": d},
        x=x, w=wt, b=b, gy=gy, y=y, gx=g[0], gw=g[1], gb=g[2])

# Pooling: (N, C, H, W, k, stride, pad)
pool_cases = [(2, 3, 7, 7, 3, 2, 1), (1, 2, 8, 8, 2, 2, 0), (1, 2, 15, 17, 3, 1, 1), (1, 2, 9, 7, 4, 3, 2)]
for i, (n, c, h, w, k, s, p) in enumerate(pool_cases):
    x = torch.randn(n, c, h, w)
    y, gy, g = grads(lambda x: F.max_pool2d(x, k, s, p), [x])
    add(f"maxpool_{i}", "maxpool2d", {"k": k, "stride": s, "pad": p}, x=x, gy=gy, y=y, gx=g[0])
    y, gy, g = grads(lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=True), [x])
    add(f"avgpool_{i}", "avgpool2d", {"k": k, "stride": s, "pad": p}, x=x, gy=gy, y=y, gx=g[0])

# Adaptive average pooling: (N, C, H, W, oh, ow)
for i, (n, c, h, w, oh, ow) in enumerate([(2, 3, 7, 7, 3, 3), (1, 2, 15, 17, 4, 5), (1, 2, 5, 5, 7, 3), (1, 2, 6, 6, 1, 1)]):
    x = torch.randn(n, c, h, w)
    y, gy, g = grads(lambda x: F.adaptive_avg_pool2d(x, (oh, ow)), [x])
    add(f"adaptive_{i}", "adaptive_avgpool2d", {"oh": oh, "ow": ow}, x=x, gy=gy, y=y, gx=g[0])

# Bilinear resize, align_corners=False: (N, C, H, W, oh, ow)
for i, (n, c, h, w, oh, ow) in enumerate([(2, 3, 7, 7, 14, 14), (1, 2, 8, 8, 4, 4), (1, 2, 15, 17, 10, 23), (1, 2, 5, 5, 7, 3), (1, 1, 1, 4, 3, 9)]):
    x = torch.randn(n, c, h, w)
    y, gy, g = grads(lambda x: F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False), [x])
    add(f"bilinear_{i}", "bilinear", {"oh": oh, "ow": ow}, x=x, gy=gy, y=y, gx=g[0])
# The segnet-ref head upsamples with scale_factor=2, which PyTorch handles
# with scale 1/2 rather than in/out; both must agree for integer factors.
x = torch.randn(2, 3, 7, 9)
y, gy, g = grads(lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), [x])
add("bilinear_sf2", "bilinear", {"oh": 14, "ow": 18}, x=x, gy=gy, y=y, gx=g[0])

# Pixel unshuffle (squeeze) and shuffle.
for i, (n, c, h, w, f) in enumerate([(2, 3, 6, 8, 2), (1, 2, 9, 6, 3)]):
    x = torch.randn(n, c, h, w)
    add(f"squeeze_{i}", "squeeze2d", {"f": f}, x=x, y=F.pixel_unshuffle(x, f))

# Softmax and log-softmax over channels, 4-D and 2-D.
for i, shape in enumerate([(2, 5, 3, 4), (4, 7), (1, 19, 5, 7)]):
    x = torch.randn(*shape) * 3
    add(f"softmax_{i}", "softmax", {}, x=x, y=torch.softmax(x, 1), ly=torch.log_softmax(x, 1))

# Elementwise functions, including the float32 range edges.
x = torch.cat([torch.randn(64) * 4, torch.tensor([-100.0, -87.0, -30.0, -20.5, 0.0, 19.9, 20.1, 30.0, 88.0])])
add("elementwise", "elementwise", {}, x=x, exp=torch.exp(x), tanh=torch.tanh(x), sigmoid=torch.sigmoid(x),
    softplus=F.softplus(x), relu=F.relu(x), leaky=F.leaky_relu(x, 0.1), log=torch.log(x.abs() + 0.01))

with open(os.path.join(HERE, "kernels.bin"), "wb") as f:
    for b in blob:
        f.write(b)
with open(os.path.join(HERE, "kernels.json"), "w") as f:
    json.dump({"generator": "tensor/testdata/gen_kernels.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
print(f"{len(cases)} cases, {offset} floats")
