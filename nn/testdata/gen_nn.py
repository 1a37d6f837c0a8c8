#!/usr/bin/env python3
"""Generates nn_ref.json: a small nested PyTorch model (state-dict names,
weights, train/eval outputs, gradients, running statistics) that
nn_test.go rebuilds from package nn layers and compares against.

Run from this directory:  /usr/bin/python3 gen_nn.py > nn_ref.json
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=2, dilation=2, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.layer1 = nn.Sequential(Block(4))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.up = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
        self.head = nn.Sequential(nn.LeakyReLU(0.1), nn.Conv2d(4, 3, 1))
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        f = self.encoder.layer1(self.encoder.stem(x))
        logits = self.head(self.up(f))
        pooled = logits.mean(dim=(2, 3))
        return logits, self.fc(pooled)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    torch.manual_seed(0)
    net = Net()
    # Non-trivial BN affine parameters and running stats.
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    state = {k: {"shape": list(v.shape), "values": flat(v.float())} for k, v in net.state_dict().items()}
    x = torch.randn(2, 3, 8, 8)
    labels = torch.randint(0, 3, (2, 8, 8))
    net.train()
    logits, out = net(x)
    loss = F.cross_entropy(logits, labels) + out.pow(2).mean()
    loss.backward()
    grads = {k: flat(p.grad) for k, p in net.named_parameters()}
    after = {k: flat(v.float()) for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
    net.eval()
    with torch.no_grad():
        eval_logits, eval_out = net(x)
    print(json.dumps({
        "order": [k for k, _ in net.named_parameters()],
        "state": state, "state_order": list(net.state_dict().keys()),
        "x": flat(x), "labels": [int(v) for v in labels.reshape(-1)],
        "train_logits": flat(logits), "train_out": flat(out), "loss": float(loss),
        "grads": grads, "buffers_after": after,
        "eval_logits": flat(eval_logits), "eval_out": flat(eval_out),
    }))


if __name__ == "__main__":
    main()
