package ood

import (
	"errors"
	"fmt"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// ODIN defaults (Liang, Li & Srikant, "Enhancing the Reliability of
// Out-of-distribution Image Detection in Neural Networks", ICLR 2018,
// arXiv:1706.02690): the paper's temperature, and its perturbation size
// for DenseNet on CIFAR-10.
const (
	DefaultODINTemperature = 1000
	DefaultODINEps         = 0.0014
)

// ODIN is the ODIN anomaly score: temperature scaling plus a small input
// perturbation that raises the maximum softmax probability, which it raises
// more for inliers than for anomalies. Densely, with ŷ_p = argmax_k l_p(x)
// the prediction at pixel p and S_p(x; T) = softmax(l_p(x)/T)_ŷp,
//
//	x̃ = x − ε · sign(−∇ₓ Σ_p log S_p(x; T))        (ODIN eq. 2, summed over pixels)
//	score_p = −max_k softmax(l_p(x̃)/T)_k            (negated MSP: higher = more anomalous)
//
// The perturbation is applied in the model's input space (normalised
// images), so ε is in units of the normalised input. The gradient is taken
// through GradModel.ForwardVar by reverse-mode autodiff, with the model's
// parameters temporarily frozen (no weight gradients are computed and their
// Grad fields are left untouched). ODIN needs graph recording: it fails
// inside an autograd.NoGrad scope.
type ODIN struct {
	T   float32 // temperature; <= 0 selects DefaultODINTemperature
	Eps float32 // perturbation magnitude ε >= 0 (0 = temperature scaling only)
}

// NewODIN returns ODIN with temperature T (<= 0: 1000) and magnitude eps
// (< 0: DefaultODINEps).
func NewODIN(T, eps float32) ODIN {
	if T <= 0 {
		T = DefaultODINTemperature
	}
	if eps < 0 {
		eps = DefaultODINEps
	}
	return ODIN{T: T, Eps: eps}
}

func (o ODIN) temp() float32 {
	if o.T <= 0 {
		return DefaultODINTemperature
	}
	return o.T
}

// Name returns e.g. "odin(T=1000,eps=0.0014)".
func (o ODIN) Name() string { return fmt.Sprintf("odin(T=%g,eps=%g)", o.temp(), o.Eps) }

// Perturb returns the perturbed images x̃ (a new tensor; images is not
// modified). m must implement GradModel.
func (o ODIN) Perturb(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	g, err := o.inputGradient(m, images)
	if err != nil {
		return nil, err
	}
	out := images.Clone()
	for i, v := range g.Data {
		// x̃ = x − ε·sign(∇ₓ CE): the cross-entropy towards ŷ is −Σ log S,
		// so its gradient is −∇ₓ Σ log S; zero gradients move nothing.
		switch {
		case v > 0:
			out.Data[i] -= o.Eps
		case v < 0:
			out.Data[i] += o.Eps
		}
	}
	return out, nil
}

// inputGradient returns ∇ₓ Σ_p −log softmax(l_p(x)/T)_ŷp.
func (o ODIN) inputGradient(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	name := o.Name()
	gm, ok := m.(GradModel)
	if !ok {
		return nil, fmt.Errorf("ood: %s: model %T has no input-differentiable forward (ForwardVar)", name, m)
	}
	if err := checkImages(name, images); err != nil {
		return nil, err
	}
	if !(o.Eps >= 0) {
		return nil, fmt.Errorf("ood: %s: perturbation magnitude %g must be >= 0", name, o.Eps)
	}
	if !autograd.GradEnabled() {
		return nil, errors.New("ood: " + name + ": input gradients are unavailable inside an autograd.NoGrad scope")
	}
	defer freezeParams(m)()
	x := autograd.Input(images, true)
	logits := gm.ForwardVar(x)
	if logits == nil {
		return nil, fmt.Errorf("ood: %s: model returned no logits", name)
	}
	if err := checkLogitsFor(name, images, logits.Value); err != nil {
		return nil, err
	}
	if !logits.RequiresGrad() {
		return nil, fmt.Errorf("ood: %s: the model's logits do not depend on its input through the autograd graph", name)
	}
	pred, err := Argmax(logits.Value)
	if err != nil {
		return nil, err
	}
	// CrossEntropy averages over pixels; seeding its backward pass with the
	// pixel count turns the gradient into that of the sum. The sign, which
	// is all ODIN uses, is the same either way.
	loss := autograd.CrossEntropy(autograd.Scale(logits, 1/o.temp()), pred, -1)
	loss.BackwardWith(tensor.Full(float32(len(pred)), loss.Value.Shape...))
	if x.Grad == nil {
		return tensor.NewLike(images), nil
	}
	return x.Grad, nil
}

// ScoreImages perturbs the batch, runs the model again and returns the
// negated maximum softmax probability at temperature T.
// With Eps == 0 no gradient is computed (temperature scaling only).
func (o ODIN) ScoreImages(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	xt := images
	if o.Eps != 0 {
		var err error
		if xt, err = o.Perturb(m, images); err != nil {
			return nil, err
		}
	} else if err := checkImages(o.Name(), images); err != nil {
		return nil, err
	}
	logits, err := m.Logits(xt)
	if err != nil {
		return nil, fmt.Errorf("ood: %s: forward pass: %w", o.Name(), err)
	}
	if err := checkLogitsFor(o.Name(), images, logits); err != nil {
		return nil, err
	}
	return Compute(MSP, logits, o.temp())
}
