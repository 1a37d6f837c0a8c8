package tv

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
)

// convBN is a bias-free convolution (torchvision's conv1x1/conv3x3).
func conv(rng *rand.Rand, in, out, k, stride, pad, dil int) *nn.Conv2d {
	return nn.NewConv2d(rng, in, out, k, stride, pad, dil, false)
}

// bottleneck is torchvision's ResNet Bottleneck (v1.5: the stride on the
// 3×3 convolution): 1×1, 3×3 (dilated), 1×1 ×4, BN after each, identity
// or downsample shortcut, ReLU.
type bottleneck struct {
	conv1, conv2, conv3 *nn.Conv2d
	bn1, bn2, bn3       *nn.BatchNorm2d
	downsample          *nn.Sequential // nil: identity
}

func newBottleneck(rng *rand.Rand, in, planes, stride, dilation int, down bool) *bottleneck {
	b := &bottleneck{
		conv1: conv(rng, in, planes, 1, 1, 0, 1), bn1: nn.NewBatchNorm2d(planes),
		conv2: conv(rng, planes, planes, 3, stride, dilation, dilation), bn2: nn.NewBatchNorm2d(planes),
		conv3: conv(rng, planes, 4*planes, 1, 1, 0, 1), bn3: nn.NewBatchNorm2d(4 * planes),
	}
	if down {
		b.downsample = nn.NewSequential(conv(rng, in, 4*planes, 1, stride, 0, 1), nn.NewBatchNorm2d(4*planes))
	}
	return b
}

func (b *bottleneck) Members() nn.Members {
	ch := []nn.NamedModule{{Name: "conv1", Module: b.conv1}, {Name: "bn1", Module: b.bn1}, {Name: "conv2", Module: b.conv2},
		{Name: "bn2", Module: b.bn2}, {Name: "conv3", Module: b.conv3}, {Name: "bn3", Module: b.bn3}}
	if b.downsample != nil {
		ch = append(ch, nn.NamedModule{Name: "downsample", Module: b.downsample})
	}
	return nn.Members{Children: ch}
}

func (b *bottleneck) Forward(x *autograd.Var) *autograd.Var {
	y := autograd.Relu(b.bn1.Forward(b.conv1.Forward(x)))
	y = autograd.Relu(b.bn2.Forward(b.conv2.Forward(y)))
	y = b.bn3.Forward(b.conv3.Forward(y))
	id := x
	if b.downsample != nil {
		id = b.downsample.Forward(x)
	}
	return autograd.Relu(autograd.Add(y, id))
}

// resnet is torchvision's ResNet trunk without avgpool/fc, with layer3
// and layer4 dilated instead of strided (replace_stride_with_dilation =
// [False, True, True]): output stride 8, as its segmentation models use.
type resnet struct {
	conv1  *nn.Conv2d
	bn1    *nn.BatchNorm2d
	layers [4]nn.ModuleList
}

func newResNet(rng *rand.Rand, blocks [4]int) *resnet {
	r := &resnet{conv1: conv(rng, 3, 64, 7, 2, 3, 1), bn1: nn.NewBatchNorm2d(64)}
	in, dilation := 64, 1
	for i, n := range blocks {
		planes := 64 << i
		// torchvision's _make_layer with replace_stride_with_dilation =
		// [False, True, True]: layer2 strides by 2; layer3 and layer4 keep
		// the resolution and double the dilation instead, their first
		// block still at the previous dilation.
		//
		// Written as a switch on purpose: the equivalent "stride, dilate :=
		// 1, false; if i > 0 { stride = 2; dilate = i >= 2 }; if dilate {
		// stride = 1 }" is miscompiled by go1.26.8 (stride 2 for i = 0;
		// correct with -gcflags=-N). TestLogitsMatchTorchvision guards it.
		stride, prev := 1, dilation
		switch {
		case i == 1:
			stride = 2
		case i >= 2:
			dilation *= 2
		}
		down := stride != 1 || in != 4*planes
		l := nn.ModuleList{newBottleneck(rng, in, planes, stride, prev, down)}
		in = 4 * planes
		for range n - 1 {
			l = append(l, newBottleneck(rng, in, planes, 1, dilation, false))
		}
		r.layers[i] = l
	}
	return r
}

func (r *resnet) Members() nn.Members {
	ch := []nn.NamedModule{{Name: "conv1", Module: r.conv1}, {Name: "bn1", Module: r.bn1}}
	for i, l := range r.layers {
		ch = append(ch, nn.NamedModule{Name: fmt.Sprintf("layer%d", i+1), Module: l})
	}
	return nn.Members{Children: ch}
}

// forward returns layer3's and layer4's outputs.
func (r *resnet) forward(x *autograd.Var) (l3, l4 *autograd.Var) {
	x = autograd.Relu(r.bn1.Forward(r.conv1.Forward(x)))
	x = autograd.MaxPool2d(x, 3, 2, 1)
	for i, l := range r.layers {
		for _, b := range l {
			x = b.(*bottleneck).Forward(x)
		}
		if i == 2 {
			l3 = x
		}
	}
	return l3, x
}
