package seg

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
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
	return m.evalForward(images, m.Forward)
}

// evalForward runs forward on a checked image batch in eval mode without
// a graph, restoring the previous mode.
func (m *Model) evalForward(images *tensor.Tensor, forward func(*autograd.Var) *autograd.Var) (*tensor.Tensor, error) {
	if err := checkImages(images); err != nil {
		return nil, err
	}
	defer m.evalScope()()
	defer autograd.NoGrad()()
	return forward(autograd.Const(images)).Value, nil
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
	if m.tv != nil {
		return m.stochasticImported(images, rng)
	}
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
	return m.evalForward(images, m.ForwardFeatures)
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

// NativeLogits returns the logits [N,K,H'/s,W'/s] (s = FeatureStride)
// of a normalised image batch [N,3,H,W] at the classifier's native
// resolution, before the bilinear upsampling and crop that Logits applies
// (H'×W' is the padded size, see PaddedSize); eval mode, no graph, the
// previous mode restored. UpsampleNative(NativeLogits(x), H, W) equals
// Logits(x) exactly, so a caller that needs both resolutions runs the
// network once: per-pixel OOD scores are then computed on the K-channel
// native grid (s² fewer pixels) and only the one-channel score map is
// upsampled (package infer's native score resolution).
func (m *Model) NativeLogits(images *tensor.Tensor) (*tensor.Tensor, error) {
	return m.nativeLogits(images, m.cfg.NumClasses)
}

// AllLogits is Logits with all Config.Outputs() channels: for a UNO head
// [N,K+1,H,W], the last channel being the negative class (the uno score's
// input). It implements ood.NegativeClassModel.
func (m *Model) AllLogits(images *tensor.Tensor) (*tensor.Tensor, error) {
	return m.evalForward(images, m.ForwardAll)
}

// NativeAllLogits is NativeLogits with all Config.Outputs() channels.
func (m *Model) NativeAllLogits(images *tensor.Tensor) (*tensor.Tensor, error) {
	return m.nativeLogits(images, m.cfg.Outputs())
}

func (m *Model) nativeLogits(images *tensor.Tensor, channels int) (*tensor.Tensor, error) {
	if err := checkImages(images); err != nil {
		return nil, err
	}
	defer m.evalScope()()
	defer autograd.NoGrad()()
	_, _, h, w := images.NCHW()
	f := m.ForwardFeatures(autograd.Const(images))
	if m.tv != nil {
		return keepChannels(m.tv.Head(f), channels).Value, nil
	}
	if m.dec.drop != nil {
		f = m.dec.drop.Forward(f) // identity in eval mode; kept so the path mirrors Classify
	}
	y := keepChannels(m.dec.logits.Forward(f), channels).Value
	if fh, fw := m.featureSize(h, w); y.Dims() != 4 || y.Shape[2] != fh || y.Shape[3] != fw {
		return nil, fmt.Errorf("%w: native logits of shape %v for a %dx%d input", ErrInput, y.Shape, h, w)
	}
	return y, nil
}

// UpsampleNative maps native-resolution maps x [N,C,h',w'] — logits from
// NativeLogits, or any per-pixel map computed from them, such as an
// anomaly score with C = 1 — to an H×W image exactly as Classify maps its
// logits: bilinear ×s (s = FeatureStride; align_corners = false) to
// [N,C,s·h',s·w'], then the top-left H×W crop that
// removes the padding. x must be the native grid of an H×W input. It does
// not use the model's weights; it is a method so that callers can reach it
// through an interface next to NativeLogits.
func (m *Model) UpsampleNative(x *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: nil native map", ErrInput)
	}
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("%w: output size %dx%d", ErrInput, h, w)
	}
	fh, fw := m.featureSize(h, w)
	if x.Dims() != 4 || x.Shape[0] < 1 || x.Shape[1] < 1 || x.Shape[2] != fh || x.Shape[3] != fw {
		return nil, fmt.Errorf("%w: native map of shape %v does not belong to a %dx%d input (want [N,C,%d,%d])",
			ErrInput, x.Shape, h, w, fh, fw)
	}
	if m.tv != nil {
		if m.tv.AlignCorners() {
			return tensor.ResizeBilinearAligned(x, h, w), nil
		}
		return tensor.ResizeBilinear(x, h, w), nil
	}
	s := m.FeatureStride()
	y := tensor.ResizeBilinear(x, s*fh, s*fw)
	if s*fh != h || s*fw != w {
		y = tensor.Crop2d(y, 0, 0, h, w)
	}
	return y, nil
}

// stochasticImported is StochasticLogits for an imported architecture: its
// head's dropouts (FCN's, the ASPP projection's) active, masks from rng.
func (m *Model) stochasticImported(images *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error) {
	ds := m.tv.Dropouts()
	if len(ds) == 0 {
		return nil, fmt.Errorf("%w: MC dropout needs a model with head dropout", ErrConfig)
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: nil random generator", ErrInput)
	}
	if err := checkImages(images); err != nil {
		return nil, err
	}
	restore := m.evalScope()
	old := make([]*rand.Rand, len(ds))
	for i, d := range ds {
		old[i] = d.Rng
		d.SetTraining(true)
		d.Rng = rng
	}
	defer func() {
		for i, d := range ds {
			d.Rng = old[i]
			d.SetTraining(false)
		}
		restore()
	}()
	defer autograd.NoGrad()()
	return m.Forward(autograd.Const(images)).Value, nil
}

// LinearHead returns the classifier mapping pre-logit features [N,D,h,w]
// to native (inlier) logits as a matrix w [K,D] and bias b [K] (nil without one),
// or ok = false when the head is not one 1×1 convolution (LR-ASPP). It
// implements ood.LinearHeadModel (ViM's origin and virtual logit).
func (m *Model) LinearHead() (w, b *tensor.Tensor, ok bool) {
	var c *nn.Conv2d
	if m.tv != nil {
		if c, ok = m.tv.LinearHead(); !ok {
			return nil, nil, false
		}
	} else {
		c = m.dec.logits.Conv2d
		if c.Kernel != 1 {
			return nil, nil, false
		}
	}
	// A UNO head's negative row is not an inlier class's.
	k := m.cfg.NumClasses
	w = tensor.FromData(c.Weight.Value.Data[:k*c.InChannels], k, c.InChannels)
	if c.Bias != nil {
		b = tensor.FromData(c.Bias.Value.Data[:k], k)
	}
	return w, b, true
}
