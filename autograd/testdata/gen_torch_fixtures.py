#!/usr/bin/env python3
"""Generate torch_net.json: loss and gradients of a small multi-layer network.

The Go test TestTorchAgreement (autograd/torch_test.go) rebuilds the same
computation from autograd ops and compares the loss, every parameter
gradient, the input gradient and the updated BatchNorm running statistics.

The network touches every autograd op except dropout (whose random masks
cannot match PyTorch's generator): conv (3x3, strided, 1x1), transposed
conv with output padding, BatchNorm in training and eval mode, ReLU, leaky
ReLU, tanh, sigmoid, softplus, exp, log, max/avg/adaptive pooling, bilinear
resize, pad/crop, split/concat, pixel (un)shuffle, per-channel scale and
shift, linear, matmul, softmax and log-softmax over channels, sum, mean and
pixel cross-entropy with ignored pixels.

Run from the repository root with Debian's PyTorch:

    /usr/bin/python3 autograd/testdata/gen_torch_fixtures.py

Everything is float32 and seeded, so the output is reproducible.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20240211)
N, H, W, K, IGNORE = 2, 8, 8, 5, 255


def rnd(*shape, scale=0.5):
    return (torch.randn(*shape) * scale).float()


params = {
    "conv1.weight": rnd(4, 3, 3, 3),
    "conv1.bias": rnd(4, scale=0.1),
    "bn1.weight": 1 + rnd(4, scale=0.2),
    "bn1.bias": rnd(4, scale=0.2),
    "conv2.weight": rnd(6, 4, 3, 3),
    "conv2.bias": rnd(6, scale=0.1),
    "up.weight": rnd(6, 4, 3, 3),  # ConvTranspose2d layout [Ci, Co, kh, kw]
    "up.bias": rnd(4, scale=0.1),
    "bn2.weight": 1 + rnd(4, scale=0.2),
    "bn2.bias": rnd(4, scale=0.2),
    "mix.weight": rnd(16, 32, 1, 1),
    "mix.bias": rnd(16, scale=0.1),
    "head.weight": rnd(K, 4, 3, 3, scale=0.15),
    "head.bias": rnd(K, scale=0.1),
    "gate": 1 + rnd(8, scale=0.3),
    "shift": rnd(8, scale=0.3),
    "fc.weight": rnd(3, 8),
    "fc.bias": rnd(3, scale=0.1),
    "proj": rnd(3, 2),
}
buffers = {
    "bn1.running_mean": rnd(4, scale=0.1),
    "bn1.running_var": 1 + rnd(4, scale=0.1).abs(),
    "bn2.running_mean": rnd(4, scale=0.1),
    "bn2.running_var": 1 + rnd(4, scale=0.1).abs(),
}
x = torch.randn(N, 3, H, W)
labels = torch.randint(0, K, (N, H, W))
labels[torch.rand(N, H, W) < 0.2] = IGNORE
target = torch.rand(N, 2)

inputs = {k: v.clone() for k, v in params.items()}
inputs["x"] = x.clone()
inputs["target"] = target.clone()
inputs.update({k: v.clone() for k, v in buffers.items()})

for v in params.values():
    v.requires_grad_(True)
x.requires_grad_(True)
p = params

# conv3x3 + BN(train) + ReLU
h1 = F.relu(F.batch_norm(F.conv2d(x, p["conv1.weight"], p["conv1.bias"], padding=1),
                         buffers["bn1.running_mean"], buffers["bn1.running_var"],
                         p["bn1.weight"], p["bn1.bias"], training=True, momentum=0.1, eps=1e-5))
# strided conv, then max pool (padded windows) and avg pool + bilinear upsample
a = F.conv2d(h1, p["conv2.weight"], p["conv2.bias"], stride=2, padding=1)  # [N,6,4,4]
m = F.max_pool2d(a, 3, stride=1, padding=1)
u = F.interpolate(F.avg_pool2d(a, 2, 2), size=(4, 4), mode="bilinear", align_corners=False)
b = torch.tanh(m) * torch.sigmoid(u) + F.softplus(a)
# transposed conv back to 8x8, BN in eval mode
t = F.conv_transpose2d(b, p["up.weight"], p["up.bias"], stride=2, padding=1, output_padding=1)
t = F.batch_norm(t, buffers["bn2.running_mean"], buffers["bn2.running_var"],
                 p["bn2.weight"], p["bn2.bias"], training=False, momentum=0.1, eps=1e-5)
# pad with a constant and crop back to 8x8 (F.pad order: left, right, top, bottom)
t = F.pad(t, (1, 2, 2, 1), value=0.3)[:, :, 2:2 + H, 1:1 + W]
# split the skip, concat in another order, per-channel affine
h1a, h1b = torch.split(h1, [1, 3], dim=1)
c = torch.cat([h1b, t, h1a], dim=1)  # [N,8,8,8]
c = c * p["gate"].view(1, 8, 1, 1) + p["shift"].view(1, 8, 1, 1)
c = c + F.interpolate(F.adaptive_avg_pool2d(c, (3, 5)), size=(H, W), mode="bilinear", align_corners=False)
# squeeze -> 1x1 conv -> unsqueeze
d = F.pixel_shuffle(F.conv2d(F.pixel_unshuffle(c, 2), p["mix.weight"], p["mix.bias"]), 2)  # [N,4,8,8]
d = F.leaky_relu(d, 0.1)
logits = F.conv2d(d, p["head.weight"], p["head.bias"], padding=1)
ce = F.cross_entropy(logits, labels, ignore_index=IGNORE)
# a small classifier head on globally pooled features, exercising the 2-D ops
g = F.adaptive_avg_pool2d(c, 1).reshape(N, 8)
lin = F.linear(g, p["fc.weight"], p["fc.bias"])  # [N,3]
q = torch.softmax(lin, dim=1)
r = q @ p["proj"]  # [N,2]
aux = ((r - target) ** 2).mean() + 0.1 * (torch.exp(torch.log_softmax(lin, dim=1)) / (q + 1)).sum()
aux = aux + 0.01 * torch.log(torch.exp(-lin) + 2).sum()
loss = ce + 0.5 * aux
loss.backward()


def enc(t):
    t = t.detach().float().contiguous()
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.flatten().tolist()]}


out = {
    "inputs": {k: enc(v) for k, v in inputs.items()},
    "labels": labels.flatten().tolist(),
    "ignore_index": IGNORE,
    "loss": loss.item(),
    "grads": {k: enc(v.grad) for k, v in params.items()},
    "running": {k: enc(v) for k, v in buffers.items()},
    "torch_version": torch.__version__,
}
out["grads"]["x"] = enc(x.grad)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_net.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path, "loss", loss.item())
