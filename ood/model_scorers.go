package ood

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Model-based baselines (ODIN, MC dropout, ReAct) need more of the network
// than its logits. Each asks for one of the interfaces below with a type
// assertion and returns an error naming the missing method when the model
// does not provide it; models/seg's Model implements all three.
//
// Every ModelScorer of this package returns an N x H x W map oriented like
// the logit scores: HIGHER = MORE ANOMALOUS.

// A GradModel can run a forward pass that is differentiable with respect
// to its input (ODIN's input perturbation). ForwardVar must use evaluation
// mode (running batch-norm statistics, dropout off) and return NCHW logits
// at the input's height and width.
type GradModel interface {
	Model
	ForwardVar(x *autograd.Var) *autograd.Var
}

// A StochasticModel can produce logits with its dropout active (MC
// dropout): evaluation-mode batch norm, dropout masks drawn from rng.
// Implementations return an error when the model has no dropout.
type StochasticModel interface {
	Model
	StochasticLogits(images *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error)
}

// A FeatureModel exposes its pre-logit features (ReAct clips them):
// LogitsFromFeatures(Features(x), H, W) must equal Logits(x) for an
// H x W input.
type FeatureModel interface {
	Model
	Features(images *tensor.Tensor) (*tensor.Tensor, error)
	LogitsFromFeatures(features *tensor.Tensor, h, w int) (*tensor.Tensor, error)
}

// checkLogitsFor verifies that a model returned NCHW logits for every
// image and pixel of an NCHW batch.
func checkLogitsFor(name string, images, logits *tensor.Tensor) error {
	if logits == nil || len(logits.Shape) != 4 {
		return fmt.Errorf("ood: %s: model returned logits of shape %v, want NCHW", name, shapeOf(logits))
	}
	if len(images.Shape) == 4 && (logits.Shape[0] != images.Shape[0] || logits.Shape[2] != images.Shape[2] || logits.Shape[3] != images.Shape[3]) {
		return fmt.Errorf("ood: %s: logits %v do not match images %v", name, logits.Shape, images.Shape)
	}
	return nil
}

func checkImages(name string, images *tensor.Tensor) error {
	if images == nil || len(images.Shape) != 4 || len(images.Data) != images.Shape[0]*images.Shape[1]*images.Shape[2]*images.Shape[3] {
		return fmt.Errorf("ood: %s: images must be a 4-D NCHW tensor, have shape %v", name, shapeOf(images))
	}
	return nil
}

func shapeOf(t *tensor.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

// freezeParams turns off gradient tracking of every parameter of m, if m is
// an nn.Module, and returns a function restoring the previous flags. Input
// gradients (ODIN) then cost no weight-gradient GEMMs and leave the
// parameters' Grad fields untouched, so a scorer can run between training
// steps without disturbing accumulated gradients.
func freezeParams(m any) (restore func()) {
	mod, ok := m.(nn.Module)
	if !ok {
		return func() {}
	}
	params := nn.Parameters(mod)
	was := make([]bool, len(params))
	for i, p := range params {
		was[i] = p.RequiresGrad()
		p.SetRequiresGrad(false)
	}
	return func() {
		for i, p := range params {
			p.SetRequiresGrad(was[i])
		}
	}
}
