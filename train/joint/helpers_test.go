package joint

import (
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// tinyNet is a small dense classifier for tests: conv → BN → tanh → conv
// (smooth, so finite differences are meaningful; BN couples the batch like
// the real model's does).
type tinyNet struct {
	c1 *nn.Conv2d
	bn *nn.BatchNorm2d
	c2 *nn.Conv2d
}

func newTinyNet(k int, seed uint64) *tinyNet {
	rng := rand.New(rand.NewPCG(seed, 1))
	return &tinyNet{c1: nn.NewConv2d(rng, 3, 6, 3, 1, 1, 1, true), bn: nn.NewBatchNorm2d(6), c2: nn.NewConv2d(rng, 6, k, 3, 1, 1, 1, true)}
}

func (t *tinyNet) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "c1", Module: t.c1}, {Name: "bn", Module: t.bn}, {Name: "c2", Module: t.c2}}}
}

func (t *tinyNet) Forward(x *autograd.Var) *autograd.Var {
	return t.c2.Forward(autograd.Tanh(t.bn.Forward(t.c1.Forward(x))))
}

// tinyFlow returns a 2-level flow (squeeze factor 4) whose parameters are
// all perturbed away from the identity-like initialisation (zero last
// coupling layers would otherwise block every gradient but theirs).
func tinyFlow(kind flow.Kind, seed uint64) *flow.Flow {
	cfg := flow.Config{Kind: flow.RealNVP, InChannels: 3, Levels: 2, Units: 1, StepsPerUnit: 2, Width: 8, Mixing: flow.MixConv1x1}
	if kind == flow.DenseFlow {
		cfg = flow.Config{Kind: flow.DenseFlow, InChannels: 3, Levels: 2, Units: 2, StepsPerUnit: 1, Width: 8, Mixing: flow.MixConv1x1, Growth: 2, NoiseWidth: 4}
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	f, err := flow.New(cfg, rng)
	if err != nil {
		panic(err)
	}
	// Data-dependent actnorm initialisation on random 8-bit crops.
	x := tensor.New(4, 3, 8, 8)
	for i := range x.Data {
		x.Data[i] = float32(rng.IntN(256))
	}
	if _, err := f.LogProb(autograd.Const(flow.Dequantize(x, rng)), rng); err != nil {
		panic(err)
	}
	for _, p := range f.Parameters() {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	return f
}

// randomBatch returns n normalised 16×16 images and labels in 0..k-1 with
// a few ignore (255) pixels.
func randomBatch(n, h, w, k int, seed uint64) (*tensor.Tensor, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x := tensor.New(n, 3, h, w)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	labels := make([]uint8, n*h*w)
	for i := range labels {
		labels[i] = uint8(rng.IntN(k))
		if rng.IntN(10) == 0 {
			labels[i] = 255
		}
	}
	return x, labels
}

var testNorm = Normalizer{Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}

func cloneGrads(ps []*autograd.Var) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		if p.Grad != nil {
			out[i] = append([]float32(nil), p.Grad.Data...)
		} else {
			out[i] = make([]float32, len(p.Value.Data))
		}
	}
	return out
}

func cloneValues(ps []*autograd.Var) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = append([]float32(nil), p.Value.Data...)
	}
	return out
}
