package ood

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// fakeNet is a tiny segmentation network built from autograd ops, shaped
// like models/seg: features at half resolution (3x3 conv, tanh, 2x2 average
// pooling, ReLU), optional dropout on the features, a 1x1 classifier and
// bilinear upsampling back to the input size. It implements GradModel,
// StochasticModel, FeatureModel and nn.Module.
type fakeNet struct {
	conv, cls *nn.Conv2d
	p         float32
}

func newFakeNet(seed uint64, k int, p float32) *fakeNet {
	r := rand.New(rand.NewPCG(seed, 1))
	return &fakeNet{conv: nn.NewConv2d(r, 3, 6, 3, 1, 1, 1, true), cls: nn.NewConv2d(r, 6, k, 1, 1, 0, 1, true), p: p}
}

func (f *fakeNet) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "conv", Module: f.conv}, {Name: "cls", Module: f.cls}}}
}

func (f *fakeNet) features(x *autograd.Var) *autograd.Var {
	return autograd.Relu(autograd.AvgPool2d(autograd.Tanh(f.conv.Forward(x)), 2, 2, 0))
}

func (f *fakeNet) classify(feat *autograd.Var, h, w int) *autograd.Var {
	return autograd.ResizeBilinear(f.cls.Forward(feat), h, w)
}

func (f *fakeNet) ForwardVar(x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.NCHW()
	return f.classify(f.features(x), h, w)
}

func (f *fakeNet) Logits(images *tensor.Tensor) (*tensor.Tensor, error) {
	defer autograd.NoGrad()()
	return f.ForwardVar(autograd.Const(images)).Value, nil
}

func (f *fakeNet) StochasticLogits(images *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error) {
	defer autograd.NoGrad()()
	_, _, h, w := images.NCHW()
	feat := autograd.Dropout(f.features(autograd.Const(images)), f.p, true, rng)
	return f.classify(feat, h, w).Value, nil
}

func (f *fakeNet) Features(images *tensor.Tensor) (*tensor.Tensor, error) {
	defer autograd.NoGrad()()
	return f.features(autograd.Const(images)).Value, nil
}

func (f *fakeNet) LogitsFromFeatures(feat *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	defer autograd.NoGrad()()
	return f.classify(autograd.Const(feat), h, w).Value, nil
}

// logitsOnly implements Model and nothing else.
type logitsOnly struct{ m *fakeNet }

func (l logitsOnly) Logits(images *tensor.Tensor) (*tensor.Tensor, error) { return l.m.Logits(images) }

func randImages(seed uint64, n, h, w int) *tensor.Tensor {
	r := rand.New(rand.NewPCG(seed, 2))
	t := tensor.New(n, 3, h, w)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

var (
	_ GradModel       = (*fakeNet)(nil)
	_ StochasticModel = (*fakeNet)(nil)
	_ FeatureModel    = (*fakeNet)(nil)
	_ ModelScorer     = ODIN{}
	_ ModelScorer     = (*MCDropout)(nil)
	_ ModelScorer     = (*ReAct)(nil)
)

func TestModelScorersNeedTheirInterface(t *testing.T) {
	m := logitsOnly{newFakeNet(1, 4, 0)}
	x := randImages(1, 1, 4, 4)
	fit, err := NewReActFit(0.9, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"odin":      func() error { _, err := NewODIN(0, -1).ScoreImages(m, x); return err }(),
		"mcdropout": func() error { _, err := NewMCDropout(0, MCEntropy, 1).ScoreImages(m, x); return err }(),
		"react":     func() error { _, err := (&ReAct{Percentile: 0.9, Clip: 1}).ScoreImages(m, x); return err }(),
		"reactfit":  fit.Add(m, x),
	} {
		if err == nil {
			t.Errorf("%s accepted a model without the needed methods", name)
		}
	}
	if _, err := NewODIN(0, -1).ScoreImages(newFakeNet(1, 4, 0), tensor.New(3, 4)); err == nil {
		t.Error("ODIN accepted a 2-D image tensor")
	}
	if _, err := NewReActFit(0, 0, 1); err == nil {
		t.Error("ReActFit accepted percentile 0")
	}
	if _, err := NewReActFit(1.5, 0, 1); err == nil {
		t.Error("ReActFit accepted percentile 1.5")
	}
	empty, _ := NewReActFit(0.5, 0, 1)
	if _, err := empty.Finish(); err == nil {
		t.Error("ReActFit.Finish without samples succeeded")
	}
}

// A model whose stochastic pass fails (no dropout) reports the error.
type noDropout struct{ *fakeNet }

func (noDropout) StochasticLogits(*tensor.Tensor, *rand.Rand) (*tensor.Tensor, error) {
	return nil, errors.New("model has no dropout")
}

func TestMCDropoutPropagatesModelError(t *testing.T) {
	_, err := NewMCDropout(2, MCEntropy, 1).ScoreImages(noDropout{newFakeNet(1, 3, 0)}, randImages(1, 1, 4, 4))
	if err == nil {
		t.Fatal("no error")
	}
}
