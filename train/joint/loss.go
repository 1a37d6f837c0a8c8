package joint

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Classifier is the dense discriminative model: NCHW logits at the input's
// size, using the current train/eval mode (models/seg.Model satisfies it).
type Classifier interface {
	nn.Module
	Forward(x *autograd.Var) *autograd.Var
}

// Objective computes one joint training step's losses and gradients
// (paper Eqs. 2-5, Fig. 1). It never updates parameters: Gradients leaves
// ∂L_disc/∂θ in the classifier's parameters and ∂L_gen/∂γ in the flow's,
// and the caller steps the two optimizers.
type Objective struct {
	Classifier Classifier
	// Negatives produces x⁻; nil trains without negatives (stage 1
	// continued: L_disc is the plain cross-entropy).
	Negatives Negatives
	// Virtual, if non-nil, replaces pasted patches with virtual outlier
	// features (VOS, gmm.go): L_neg is the divergence of the classifier
	// head's posterior on them. The classifier must be a HeadClassifier.
	Virtual *GMMNegatives
	// Flow, if non-nil, is trained jointly: it must be the flow behind a
	// FlowNegatives source (a frozen flow is simply left nil here).
	Flow  *flow.Flow
	Sizer PatchSizer
	// Lambda weighs L_neg in both losses (paper: 0.03).
	Lambda float32
	Loss   NegLoss
	// NumClasses is K; labels ≥ K are ignored by the cross-entropy.
	NumClasses int
	// NegativeClass trains a UNO head: the classifier (a
	// NegativeClassifier) has K+1 outputs, the cross-entropy on inlier
	// pixels runs over all of them, and L_neg is NegativeClassLoss, the
	// cross-entropy of the negative pixels (pasted or virtual) to class
	// K+1, in both losses (Loss is not used).
	NegativeClass bool
	Norm          Normalizer
}

// NegativeClassifier is a Classifier with a UNO head: ForwardAll returns
// its K+1 outputs, the last being the negative class (seg.Model with
// Config.Head "uno").
type NegativeClassifier interface {
	Classifier
	ForwardAll(x *autograd.Var) *autograd.Var
}

// negMean is L_neg over the logits z of negative pixels.
func (o *Objective) negMean(z *autograd.Var) *autograd.Var {
	if o.NegativeClass {
		return NegativeClassLoss(z)
	}
	return o.Loss.Mean(z)
}

// Result reports one step. Losses that do not apply are NaN.
type Result struct {
	// CE is the mean cross-entropy over inlier pixels (m = 0).
	CE float64
	// Neg is the mean L_neg over pasted pixels (m = 1), before λ.
	Neg float64
	// BPD is L_nll of the replaced inlier crops in bits/dim.
	BPD float64
	// OutOfRange is the share of flow-sample values clamped to the image
	// range (FlowNegatives.OutOfRange; NaN for other negatives).
	OutOfRange float64
	// Placement places this step's negatives (zero without negatives).
	Placement Placement
	// Virtual is the number of virtual outlier features (GMM negatives).
	Virtual int
	// Mixed is the classifier's input x' (normalised) and Mask the
	// negative mask s (N×H×W, 1 = pasted).
	Mixed *tensor.Tensor
	Mask  []uint8
}

// Finite reports whether every loss that applies is finite (Gradients
// computes no gradient otherwise, and the step should be skipped).
func (r Result) Finite() bool {
	if !isFinite(r.CE) || math.IsInf(r.Neg, 0) || math.IsInf(r.BPD, 0) {
		return false
	}
	// NaN means "does not apply" only when there are no negatives.
	return (r.Placement.N() == 0 && r.Virtual == 0) || !math.IsNaN(r.Neg)
}

// Validate checks the objective against an image size.
func (o *Objective) Validate(h, w int) error {
	if o.Classifier == nil {
		return fmt.Errorf("%w: no classifier", ErrConfig)
	}
	if o.NumClasses <= 0 {
		return fmt.Errorf("%w: %d classes", ErrConfig, o.NumClasses)
	}
	if !(o.Lambda >= 0) || math.IsInf(float64(o.Lambda), 0) {
		return fmt.Errorf("%w: lambda %v must be a finite non-negative number", ErrConfig, o.Lambda)
	}
	if o.Flow != nil {
		if _, ok := o.Negatives.(*FlowNegatives); !ok {
			return fmt.Errorf("%w: joint flow training needs flow negatives", ErrConfig)
		}
	}
	if o.Virtual != nil {
		if o.Negatives != nil {
			return fmt.Errorf("%w: virtual (GMM) negatives replace pasted ones; set one source", ErrConfig)
		}
		if _, ok := o.Classifier.(HeadClassifier); !ok {
			return fmt.Errorf("%w: GMM negatives need a classifier that exposes its head (%T does not)", ErrConfig, o.Classifier)
		}
	}
	if o.NegativeClass {
		if _, ok := o.Classifier.(NegativeClassifier); !ok {
			return fmt.Errorf("%w: a negative-class (uno) head needs a classifier with K+1 outputs (%T has no ForwardAll)", ErrConfig, o.Classifier)
		}
		if o.Negatives == nil && o.Virtual == nil {
			return fmt.Errorf("%w: a negative-class (uno) head is trained on negatives; --negatives none leaves it untrained", ErrConfig)
		}
	}
	if o.Negatives != nil {
		s := o.Sizer
		s.Multiple = o.Negatives.Multiple()
		return s.Validate(h, w)
	}
	return nil
}

// Gradients runs the shared forward pass once and back-propagates the two
// losses of the paper into their own parameters:
//
//	classifier θ:  L_disc = CE over m = 0 + λ·mean_{m=1} L_neg     (Eq. 3)
//	flow γ:        L_gen  = L_nll(x_c) + λ·mean_{m=1} L_neg          (Eq. 4)
//
// where x_c is the inlier crop each negative replaces, L_nll is in
// bits/dim, and L_neg reaches γ through the classifier, the pasted patch
// and the flow's inverse. The bookkeeping that keeps each model on its own
// loss: the patch enters the classifier through a leaf, so the first
// backward pass (L_disc) fills θ's gradients and stops at the leaf; then
// the classifier's parameters are frozen and λ·L_neg alone is
// back-propagated again through the same graph to the leaf, whose gradient
// continues into the flow's sampling graph; L_nll adds the likelihood
// gradient. Hence θ never sees L_nll or a second copy of λ·L_neg, and γ
// never sees the cross-entropy (which the patch influences through the
// receptive fields of nearby inlier pixels).
//
// images is [N,3,H,W] normalised, labels N·H·W in the generic encoding.
// All randomness (placement, dequantisation, latents) comes from rng.
// Gradients of both models are zeroed first. The classifier should be in
// training mode.
func (o *Objective) Gradients(images *tensor.Tensor, labels []uint8, rng *rand.Rand) (Result, error) {
	n, _, h, w := images.NCHW()
	res := Result{CE: math.NaN(), Neg: math.NaN(), BPD: math.NaN(), OutOfRange: math.NaN()}
	clfParams := nn.Parameters(o.Classifier)
	for _, p := range clfParams {
		p.ZeroGrad()
	}
	if o.Flow != nil {
		for _, p := range o.Flow.Parameters() {
			p.ZeroGrad()
		}
	}

	x := autograd.Const(images)
	var (
		leaf, patch *autograd.Var
		nll         *autograd.Var
	)
	if o.Negatives != nil {
		sizer := o.Sizer
		sizer.Multiple = o.Negatives.Multiple()
		res.Placement = SamplePlacement(n, h, w, sizer, rng)
		pl := res.Placement
		if o.Flow != nil {
			// L_nll of the inlier crops that the negatives replace (Eq. 4).
			// Computed before sampling so that a fresh flow's data-dependent
			// actnorm initialisation sees inlier data.
			crops := flow.Dequantize(o.Norm.ToBytes(CropEachTensor(images, pl)), rng)
			lp, err := o.Flow.LogProb(autograd.Const(crops), rng)
			if err != nil {
				return res, err
			}
			nll = flow.BitsPerDim(lp, 3*pl.H*pl.W)
			res.BPD = float64(nll.Value.Data[0])
		}
		var err error
		if o.Flow == nil {
			restore := autograd.NoGrad()
			patch, err = o.Negatives.Patches(n, pl.H, pl.W, rng)
			restore()
		} else {
			patch, err = o.Negatives.Patches(n, pl.H, pl.W, rng)
		}
		if err != nil {
			return res, err
		}
		if fn, ok := o.Negatives.(*FlowNegatives); ok {
			res.OutOfRange = fn.OutOfRange
		}
		// The leaf cuts the graph between the flow and the classifier, so
		// that each backward pass below is routed explicitly.
		leaf = autograd.Input(patch.Value, o.Flow != nil && patch.RequiresGrad())
		x = Paste(x, leaf, pl)
		res.Mask = pl.Mask(n, h, w)
	}
	res.Mixed = x.Value

	var logits *autograd.Var
	if o.NegativeClass {
		logits = o.Classifier.(NegativeClassifier).ForwardAll(x)
	} else {
		logits = o.Classifier.Forward(x)
	}
	target := MaskLabels(labels, o.NumClasses, n, h, w, res.Placement)
	ce := autograd.CrossEntropy(logits, target, IgnoreIndex)
	res.CE = float64(ce.Value.Data[0])
	disc := ce
	var neg *autograd.Var
	if o.Negatives != nil {
		neg = o.negMean(CropEach(logits, res.Placement))
		res.Neg = float64(neg.Value.Data[0])
		if o.Lambda != 0 {
			disc = autograd.Add(ce, autograd.Scale(neg, o.Lambda))
		}
	}
	if o.Virtual != nil {
		// L_neg on the head's posterior over virtual outlier features: it
		// reaches only the head's parameters.
		v := o.Virtual.Sample(rng)
		res.Virtual = v.Shape[3]
		vneg := o.negMean(o.Classifier.(HeadClassifier).HeadLogits(autograd.Const(v)))
		res.Neg = float64(vneg.Value.Data[0])
		if o.Lambda != 0 {
			disc = autograd.Add(ce, autograd.Scale(vneg, o.Lambda))
		}
	}
	if !res.Finite() || (o.Flow != nil && !isFinite(res.BPD)) || patch != nil && patch.Value.HasNaNOrInf() {
		return res, nil // the caller skips the step
	}
	if disc.RequiresGrad() {
		disc.Backward()
	}
	if o.Flow == nil {
		return res, nil
	}
	if o.Lambda != 0 && leaf.RequiresGrad() {
		leaf.ZeroGrad() // holds ∂L_disc/∂x⁻, which is not the flow's loss
		if err := backwardFrozen(autograd.Scale(neg, o.Lambda), clfParams); err != nil {
			return res, err
		}
		if leaf.Grad != nil {
			patch.BackwardWith(leaf.Grad)
		}
	}
	if nll.RequiresGrad() {
		nll.Backward()
	}
	return res, nil
}

// backwardFrozen back-propagates loss with the given parameters frozen, so
// that they receive nothing (their gradients from an earlier pass stay).
func backwardFrozen(loss *autograd.Var, frozen []*autograd.Var) (err error) {
	was := make([]bool, len(frozen))
	for i, p := range frozen {
		was[i] = p.RequiresGrad()
		p.SetRequiresGrad(false)
	}
	defer func() {
		for i, p := range frozen {
			p.SetRequiresGrad(was[i])
		}
	}()
	if !loss.RequiresGrad() {
		return fmt.Errorf("joint: L_neg does not depend on the negative patch")
	}
	loss.Backward()
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
