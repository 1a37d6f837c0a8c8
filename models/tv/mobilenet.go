package tv

import (
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// MobileNetV3's batch norm: torchvision builds it with eps 0.001 (and
// momentum 0.01).
func mobileBN(c int) *nn.BatchNorm2d {
	b := nn.NewBatchNorm2d(c)
	b.Eps, b.Momentum = 0.001, 0.01
	return b
}

// makeDivisible is torchvision's _make_divisible(v, 8).
func makeDivisible(v float64, divisor int) int {
	n := max(divisor, int(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// bneck is one row of torchvision's _mobilenet_v3_conf for
// mobilenet_v3_large.
type bneck struct {
	in, k, exp, out int
	se, hs          bool
	stride          int
	dilated         bool // the last stage: dilation 2 with dilated=True
}

var mobilenetV3Large = []bneck{
	{16, 3, 16, 16, false, false, 1, false},
	{16, 3, 64, 24, false, false, 2, false},
	{24, 3, 72, 24, false, false, 1, false},
	{24, 5, 72, 40, true, false, 2, false},
	{40, 5, 120, 40, true, false, 1, false},
	{40, 5, 120, 40, true, false, 1, false},
	{40, 3, 240, 80, false, true, 2, false},
	{80, 3, 200, 80, false, true, 1, false},
	{80, 3, 184, 80, false, true, 1, false},
	{80, 3, 184, 80, false, true, 1, false},
	{80, 3, 480, 112, true, true, 1, false},
	{112, 3, 672, 112, true, true, 1, false},
	{112, 5, 672, 160, true, true, 2, true},
	{160, 5, 960, 160, true, true, 1, true},
	{160, 5, 960, 160, true, true, 1, true},
}

// squeezeExcite is torchvision's SqueezeExcitation with a hard-sigmoid
// scale: avgpool, fc1 (1×1, bias), ReLU, fc2 (1×1, bias), hard-sigmoid.
type squeezeExcite struct{ fc1, fc2 *nn.Conv2d }

func (s *squeezeExcite) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "fc1", Module: s.fc1}, {Name: "fc2", Module: s.fc2}}}
}

func (s *squeezeExcite) Forward(x *autograd.Var) *autograd.Var {
	z := autograd.AdaptiveAvgPool2d(x, 1, 1)
	z = autograd.Hardsigmoid(s.fc2.Forward(autograd.Relu(s.fc1.Forward(z))))
	if !autograd.GradEnabled() && !autograd.Tracing() {
		// Inference: x is the depthwise layer's output inside the block,
		// read by nothing else, so it is scaled in place (no new tensor).
		tensor.ScaleChannelsInto(x.Value, x.Value, z.Value.Data)
		return x
	}
	return autograd.ScaleChannels(x, z)
}

// invertedResidual is torchvision's InvertedResidual: expand (1×1, if
// the width changes), depthwise k×k, optional squeeze-excitation, project
// (1×1, no activation); a residual sum when stride 1 keeps the width.
type invertedResidual struct {
	block    *nn.Sequential
	residual bool
}

func (r *invertedResidual) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "block", Module: r.block}}}
}

func (r *invertedResidual) Forward(x *autograd.Var) *autograd.Var {
	y := r.block.Forward(x)
	if r.residual {
		y = autograd.Add(y, x)
	}
	return y
}

// convNormAct is Conv2dNormActivation: conv (no bias), BN, activation.
func convNormAct(conv nn.Layer, c int, act nn.Layer) *nn.Sequential {
	if act == nil {
		return nn.NewSequential(conv, mobileBN(c))
	}
	return nn.NewSequential(conv, mobileBN(c), act)
}

func activation(hs bool) nn.Layer {
	if hs {
		return nn.Hardswish{}
	}
	return nn.ReLU{}
}

// newMobileNetV3Large builds the features of mobilenet_v3_large with
// dilated=True (the segmentation models' backbone: the last stage keeps
// 1/16 resolution with dilation 2): 17 children, 960 output channels.
func newMobileNetV3Large(rng *rand.Rand) nn.ModuleList {
	f := nn.ModuleList{convNormAct(nn.NewConv2d(rng, 3, 16, 3, 2, 1, 1, false), 16, nn.Hardswish{})}
	for _, c := range mobilenetV3Large {
		stride, dil := c.stride, 1
		if c.dilated {
			dil = 2
			stride = 1 // torchvision: stride 1 where the dilation is > 1
		}
		var layers []nn.Layer
		if c.exp != c.in {
			layers = append(layers, convNormAct(nn.NewConv2d(rng, c.in, c.exp, 1, 1, 0, 1, false), c.exp, activation(c.hs)))
		}
		pad := (c.k - 1) / 2 * dil
		layers = append(layers, convNormAct(nn.NewDepthwiseConv2d(rng, c.exp, c.k, stride, pad, dil, false), c.exp, activation(c.hs)))
		if c.se {
			sq := makeDivisible(float64(c.exp)/4, 8)
			layers = append(layers, &squeezeExcite{fc1: nn.NewConv2d(rng, c.exp, sq, 1, 1, 0, 1, true), fc2: nn.NewConv2d(rng, sq, c.exp, 1, 1, 0, 1, true)})
		}
		layers = append(layers, convNormAct(nn.NewConv2d(rng, c.exp, c.out, 1, 1, 0, 1, false), c.out, nil))
		f = append(f, &invertedResidual{block: nn.NewSequential(layers...), residual: c.stride == 1 && c.in == c.out})
	}
	return append(f, convNormAct(nn.NewConv2d(rng, 160, 960, 1, 1, 0, 1, false), 960, nn.Hardswish{}))
}

// mobileBackbone runs the features, returning child 4's output (40
// channels at 1/8, LR-ASPP's low-level input) and the last (960 at 1/16).
type mobileBackbone struct{ features nn.ModuleList }

func (b *mobileBackbone) Members() nn.Members { return b.features.Members() }

func (b *mobileBackbone) forward(x *autograd.Var) (low, high *autograd.Var) {
	for i, l := range b.features {
		x = l.(nn.Layer).Forward(x)
		if i == 4 {
			low = x
		}
	}
	return low, x
}

// lrasppHead is torchvision's LRASPPHead: cbr (1×1 conv, BN, ReLU) on the
// high-level features gated by scale (avgpool, 1×1 conv, sigmoid),
// upsampled to the low-level grid; low_classifier(low) +
// high_classifier(gated).
type lrasppHead struct {
	cbr, scale                    *nn.Sequential
	lowClassifier, highClassifier *nn.Conv2d
}

func newLRASPPHead(rng *rand.Rand, low, high, classes, inter int) *lrasppHead {
	return &lrasppHead{
		cbr:            nn.NewSequential(nn.NewConv2d(rng, high, inter, 1, 1, 0, 1, false), nn.NewBatchNorm2d(inter), nn.ReLU{}),
		scale:          nn.NewSequential(globalPool{}, nn.NewConv2d(rng, high, inter, 1, 1, 0, 1, false), nn.Sigmoid{}),
		lowClassifier:  nn.NewConv2d(rng, low, classes, 1, 1, 0, 1, true),
		highClassifier: nn.NewConv2d(rng, inter, classes, 1, 1, 0, 1, true),
	}
}

func (h *lrasppHead) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "cbr", Module: h.cbr}, {Name: "scale", Module: h.scale},
		{Name: "low_classifier", Module: h.lowClassifier}, {Name: "high_classifier", Module: h.highClassifier}}}
}

func (h *lrasppHead) forward(low, high *autograd.Var) *autograd.Var {
	x := h.cbr.Forward(high)
	s := h.scale.Forward(high)
	x = autograd.ScaleChannels(x, s)
	_, _, lh, lw := low.Value.NCHW()
	x = autograd.ResizeBilinear(x, lh, lw)
	return autograd.Add(h.lowClassifier.Forward(low), h.highClassifier.Forward(x))
}
