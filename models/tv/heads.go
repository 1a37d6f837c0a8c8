package tv

import (
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
)

// fcnHead is torchvision's FCNHead: 3×3 conv to in/4, BN, ReLU,
// Dropout(0.1), 1×1 conv to the classes (children 0, 1, 4 carry weights).
func fcnHead(rng *rand.Rand, in, classes int) *nn.Sequential {
	inter := in / 4
	return nn.NewSequential(conv(rng, in, inter, 3, 1, 1, 1), nn.NewBatchNorm2d(inter), nn.ReLU{},
		nn.NewDropout(rng, 0.1), nn.NewConv2d(rng, inter, classes, 1, 1, 0, 1, true))
}

// aspp is torchvision's ASPP: a 1×1 branch, three dilated 3×3 branches
// and an image-pooling branch (upsampled back), concatenated and
// projected to 256 channels (BN, ReLU, Dropout(0.5)).
type aspp struct {
	convs   nn.ModuleList // 0: 1×1; 1–3: 3×3 dilated; 4: pooling
	project *nn.Sequential
}

const asppWidth = 256

func newASPP(rng *rand.Rand, in int, rates []int) *aspp {
	a := &aspp{}
	a.convs = append(a.convs, nn.NewSequential(conv(rng, in, asppWidth, 1, 1, 0, 1), nn.NewBatchNorm2d(asppWidth), nn.ReLU{}))
	for _, r := range rates {
		a.convs = append(a.convs, nn.NewSequential(conv(rng, in, asppWidth, 3, 1, r, r), nn.NewBatchNorm2d(asppWidth), nn.ReLU{}))
	}
	// ASPPPooling: AdaptiveAvgPool2d(1) is child 0 (no weights).
	a.convs = append(a.convs, nn.NewSequential(globalPool{}, conv(rng, in, asppWidth, 1, 1, 0, 1), nn.NewBatchNorm2d(asppWidth), nn.ReLU{}))
	n := len(a.convs)
	a.project = nn.NewSequential(conv(rng, n*asppWidth, asppWidth, 1, 1, 0, 1), nn.NewBatchNorm2d(asppWidth), nn.ReLU{}, nn.NewDropout(rng, 0.5))
	return a
}

func (a *aspp) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "convs", Module: a.convs}, {Name: "project", Module: a.project}}}
}

func (a *aspp) Forward(x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.NCHW()
	outs := make([]*autograd.Var, len(a.convs))
	for i, c := range a.convs {
		y := c.(*nn.Sequential).Forward(x)
		if i == len(a.convs)-1 {
			y = autograd.ResizeBilinear(y, h, w)
		}
		outs[i] = y
	}
	return a.project.Forward(autograd.Concat(outs...))
}

// globalPool is AdaptiveAvgPool2d(1).
type globalPool struct{}

func (globalPool) Members() nn.Members { return nn.Members{} }
func (globalPool) Forward(x *autograd.Var) *autograd.Var {
	return autograd.AdaptiveAvgPool2d(x, 1, 1)
}

// deepLabHead is torchvision's DeepLabHead: ASPP(in, [12, 24, 36]), 3×3
// conv, BN, ReLU, 1×1 conv to the classes.
func deepLabHead(rng *rand.Rand, in, classes int) *nn.Sequential {
	return nn.NewSequential(newASPP(rng, in, []int{12, 24, 36}), conv(rng, asppWidth, asppWidth, 3, 1, 1, 1),
		nn.NewBatchNorm2d(asppWidth), nn.ReLU{}, nn.NewConv2d(rng, asppWidth, classes, 1, 1, 0, 1, true))
}
