package seg

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// checkImages validates an image batch for the tensor-level helpers.
func checkImages(images *tensor.Tensor) error {
	if images == nil {
		return fmt.Errorf("%w: nil image tensor", ErrInput)
	}
	if images.Dims() != 4 || images.Shape[1] != 3 || images.Shape[0] < 1 || images.Shape[2] < 1 || images.Shape[3] < 1 {
		return fmt.Errorf("%w: images of shape %v, want [N,3,H,W]", ErrInput, images.Shape)
	}
	return nil
}

// Logits returns the logits [N,K,H,W] of a normalised image batch
// [N,3,H,W], computed in eval mode without recording a graph; the previous
// mode is restored. It implements ood.Model.
func (m *Model) Logits(images *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkImages(images); err != nil {
		return nil, err
	}
	defer m.evalScope()()
	defer autograd.NoGrad()()
	return m.Forward(autograd.Const(images)).Value, nil
}

// ForwardVar is Forward in eval mode (the previous mode is restored
// afterwards), differentiable with respect to x: ODIN back-propagates the
// log-softmax of the winning class to the input. Backward also accumulates
// parameter gradients; call nn.ZeroGrad on the model if that matters.
func (m *Model) ForwardVar(x *autograd.Var) *autograd.Var {
	defer m.evalScope()()
	return m.Forward(x)
}

// StochasticLogits is one Monte-Carlo dropout pass (Gal & Ghahramani,
// "Dropout as a Bayesian Approximation", ICML 2016): batch norm uses its
// running statistics while the head dropout stays active with masks drawn
// from rng. It returns an error if the model has no dropout
// (Config.Dropout == 0).
func (m *Model) StochasticLogits(images *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error) {
	if m.dec.drop == nil {
		return nil, fmt.Errorf("%w: MC dropout needs a model with head dropout (config dropout is 0)", ErrConfig)
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: nil random generator", ErrInput)
	}
	if err := checkImages(images); err != nil {
		return nil, err
	}
	restore := m.evalScope()
	d := m.dec.drop
	oldRng := d.Rng
	d.SetTraining(true)
	d.Rng = rng
	defer func() {
		d.Rng = oldRng
		d.SetTraining(false)
		restore()
	}()
	defer autograd.NoGrad()()
	return m.Forward(autograd.Const(images)).Value, nil
}

// Features returns the pre-logit features (see ForwardFeatures) of an image
// batch in eval mode without a graph.
func (m *Model) Features(images *tensor.Tensor) (*tensor.Tensor, error) {
	if err := checkImages(images); err != nil {
		return nil, err
	}
	defer m.evalScope()()
	defer autograd.NoGrad()()
	return m.ForwardFeatures(autograd.Const(images)).Value, nil
}

// LogitsFromFeatures returns the logits [N,K,h,w] of features computed by
// Features for an h×w input (possibly modified in between: ReAct clips
// them), in eval mode without a graph.
func (m *Model) LogitsFromFeatures(features *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	if features == nil {
		return nil, fmt.Errorf("%w: nil feature tensor", ErrInput)
	}
	if err := m.checkFeatures(features, h, w); err != nil {
		return nil, err
	}
	defer m.evalScope()()
	defer autograd.NoGrad()()
	return m.Classify(autograd.Const(features), h, w).Value, nil
}
