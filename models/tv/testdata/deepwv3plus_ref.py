"""Our own PyTorch definition of DeepWV3Plus in the layout and state-dict
names of NVIDIA's semantic-segmentation repository (network/deepv3.py and
network/wider_resnet.py: WiderResNet38-A2 with dilation, their ASPP with
image pooling first, bot_fine / bot_aspp, the final head, align_corners=True
upsampling), without that repository's config, apex and checkpoint
plumbing. A checkpoint of theirs (e.g. the Cityscapes model SynBoost and
PEBAL start from) loads into it with load_state_dict after stripping
"module.". Used by gen_tv.py for the parity fixture."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


def bnrelu(c):
    return nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=True))


class IdentityResidualBlock(nn.Module):
    def __init__(self, in_channels, channels, stride=1, dilation=1, dropout=None):
        super().__init__()
        self.bn1 = bnrelu(in_channels)
        if len(channels) == 2:
            layers = [("conv1", nn.Conv2d(in_channels, channels[0], 3, stride=stride, padding=dilation, bias=False, dilation=dilation)),
                      ("bn2", bnrelu(channels[0])),
                      ("conv2", nn.Conv2d(channels[0], channels[1], 3, stride=1, padding=dilation, bias=False, dilation=dilation))]
            if dropout is not None:
                layers = layers[0:2] + [("dropout", nn.Dropout2d(dropout))] + layers[2:]
        else:
            layers = [("conv1", nn.Conv2d(in_channels, channels[0], 1, stride=stride, padding=0, bias=False)),
                      ("bn2", bnrelu(channels[0])),
                      ("conv2", nn.Conv2d(channels[0], channels[1], 3, stride=1, padding=dilation, bias=False, dilation=dilation)),
                      ("bn3", bnrelu(channels[1])),
                      ("conv3", nn.Conv2d(channels[1], channels[2], 1, stride=1, padding=0, bias=False))]
            if dropout is not None:
                layers = layers[0:4] + [("dropout", nn.Dropout2d(dropout))] + layers[4:]
        self.convs = nn.Sequential(OrderedDict(layers))
        if stride != 1 or in_channels != channels[-1]:
            self.proj_conv = nn.Conv2d(in_channels, channels[-1], 1, stride=stride, padding=0, bias=False)

    def forward(self, x):
        bn1 = self.bn1(x)
        shortcut = self.proj_conv(bn1) if hasattr(self, "proj_conv") else x
        return self.convs(bn1) + shortcut


class DeepWV3Plus(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.mod1 = nn.Sequential(OrderedDict([("conv1", nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False))]))
        self.pool2 = nn.MaxPool2d(3, stride=2, padding=1)
        self.pool3 = nn.MaxPool2d(3, stride=2, padding=1)
        channels = [(128, 128), (256, 256), (512, 512), (512, 1024), (512, 1024, 2048), (1024, 2048, 4096)]
        in_channels = 64
        for mod_id, num in enumerate([3, 3, 6, 3, 1, 1]):
            blocks = []
            for block_id in range(num):
                dil = 2 if mod_id == 3 else (4 if mod_id > 3 else 1)
                stride = 2 if block_id == 0 and mod_id == 2 else 1
                drop = 0.3 if mod_id == 4 else (0.5 if mod_id == 5 else None)
                blocks.append(("block%d" % (block_id + 1), IdentityResidualBlock(in_channels, channels[mod_id], stride, dil, drop)))
                in_channels = channels[mod_id][-1]
            self.add_module("mod%d" % (mod_id + 2), nn.Sequential(OrderedDict(blocks)))
        self.aspp = ASPP(4096, 256, rates=(12, 24, 36))
        self.bot_fine = nn.Conv2d(128, 48, kernel_size=1, bias=False)
        self.bot_aspp = nn.Conv2d(1280, 256, kernel_size=1, bias=False)
        self.final = nn.Sequential(
            nn.Conv2d(256 + 48, 256, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
            nn.Conv2d(256, num_classes, kernel_size=1, bias=False))

    def forward(self, inp):
        x = self.mod1(inp)
        m2 = self.mod2(self.pool2(x))
        x = self.mod3(self.pool3(m2))
        x = self.mod7(self.mod6(self.mod5(self.mod4(x))))
        x = self.bot_aspp(self.aspp(x))
        x = F.interpolate(x, size=m2.shape[2:], mode="bilinear", align_corners=True)
        x = self.final(torch.cat([self.bot_fine(m2), x], 1))
        return F.interpolate(x, size=inp.shape[2:], mode="bilinear", align_corners=True)


class ASPP(nn.Module):
    def __init__(self, in_dim, reduction_dim, rates):
        super().__init__()
        self.features = nn.ModuleList([nn.Sequential(nn.Conv2d(in_dim, reduction_dim, 1, bias=False), nn.BatchNorm2d(reduction_dim), nn.ReLU(inplace=True))] +
                                      [nn.Sequential(nn.Conv2d(in_dim, reduction_dim, 3, dilation=r, padding=r, bias=False), nn.BatchNorm2d(reduction_dim), nn.ReLU(inplace=True)) for r in rates])
        self.img_pooling = nn.AdaptiveAvgPool2d(1)
        self.img_conv = nn.Sequential(nn.Conv2d(in_dim, reduction_dim, 1, bias=False), nn.BatchNorm2d(reduction_dim), nn.ReLU(inplace=True))

    def forward(self, x):
        img = F.interpolate(self.img_conv(self.img_pooling(x)), size=x.shape[2:], mode="bilinear", align_corners=True)
        return torch.cat([img] + [f(x) for f in self.features], 1)
