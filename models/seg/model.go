package seg

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/nflowjs/nflowjs/models/tv"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Model is a ladder-style DenseNet for semantic segmentation. It is an
// nn.Module: nn.Train and nn.Eval switch batch norm and dropout, and its
// state dict uses stable dotted names ("encoder.denseblock1.denselayer1.
// norm1.weight", "decoder.logits.bias", ...).
//
// A Model is not safe for concurrent use: the forward pass updates batch-
// norm statistics in training mode, and the tensor-level helpers switch the
// mode temporarily.
type Model struct {
	cfg      Config
	enc      *encoder
	dec      *decoder
	tv       *tv.Model // an imported architecture (Config.Arch); enc and dec are nil then
	ctr      *flopCounter
	training bool
}

// New builds a model with weights drawn from rng: He-normal convolutions,
// unit batch-norm scales, PyTorch's default for the classifier. The model
// starts in training mode, as PyTorch modules do.
func New(cfg Config, rng *rand.Rand) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: nil random generator", ErrConfig)
	}
	ctr := &flopCounter{}
	if cfg.Arch != "" {
		t, err := tv.New(cfg.Arch, cfg.Outputs(), rng)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		m := &Model{cfg: cfg, tv: t, ctr: ctr}
		nn.Train(m)
		return m, nil
	}
	enc := newEncoder(rng, ctr, cfg)
	skipW, topW := enc.widths()
	m := &Model{cfg: cfg, enc: enc, dec: newDecoder(rng, ctr, cfg, enc.norm0.NumFeatures, skipW, topW), ctr: ctr, training: true}
	m.cfg.BlockLayers = append([]int(nil), cfg.BlockLayers...)
	m.cfg.SPPGrids = append([]int(nil), cfg.SPPGrids...)
	return m, nil
}

// Config returns the model's configuration.
func (m *Model) Config() Config {
	c := m.cfg
	c.BlockLayers = append([]int(nil), c.BlockLayers...)
	c.SPPGrids = append([]int(nil), c.SPPGrids...)
	return c
}

// Members lists the two children "encoder" and "decoder".
func (m *Model) Members() nn.Members {
	if m.tv != nil {
		return m.tv.Members() // torchvision's names: backbone.*, classifier.*
	}
	return nn.Members{Children: []nn.NamedModule{{Name: "encoder", Module: m.enc}, {Name: "decoder", Module: m.dec}}}
}

// SetTraining records the mode; nn.Train and nn.Eval call it (and switch
// every submodule).
func (m *Model) SetTraining(train bool) { m.training = train }

// Training reports the mode last set by nn.Train or nn.Eval.
func (m *Model) Training() bool { return m.training }

// SetDropoutRNG replaces the generator of the head dropout's masks (a no-op
// without dropout). Trainers seed it per step so that a resumed run draws
// the same masks as an uninterrupted one.
func (m *Model) SetDropoutRNG(rng *rand.Rand) {
	if m.tv != nil {
		for _, d := range m.tv.Dropouts() {
			d.Rng = rng
		}
		return
	}
	if m.dec.drop != nil {
		m.dec.drop.Rng = rng
	}
}

// HasDropout reports whether the head has dropout, which Monte-Carlo
// dropout (StochasticLogits) needs: Config.Dropout > 0, or an imported
// architecture's head dropout.
func (m *Model) HasDropout() bool {
	if m.tv != nil {
		return len(m.tv.Dropouts()) > 0
	}
	return m.dec.drop != nil
}

// NumParams counts the trainable scalars.
func (m *Model) NumParams() int { return nn.NumParams(m) }

// EncoderParams and DecoderParams split the parameters for optimizers with
// separate learning rates (the paper trains the encoder at 1e-4 and the
// decoder at 4e-4). Both set Var.Name to the full dotted name.
// An imported architecture's encoder is its backbone.
func (m *Model) EncoderParams() []*autograd.Var { return m.paramsWithPrefix(m.encoderPrefix(), true) }

// DecoderParams returns every parameter outside the encoder.
func (m *Model) DecoderParams() []*autograd.Var { return m.paramsWithPrefix(m.encoderPrefix(), false) }

func (m *Model) encoderPrefix() string {
	if m.tv != nil {
		return m.tv.EncoderPrefix()
	}
	return "encoder."
}

func (m *Model) paramsWithPrefix(prefix string, want bool) []*autograd.Var {
	var out []*autograd.Var
	for _, p := range nn.NamedParameters(m) {
		if strings.HasPrefix(p.Name, prefix) == want {
			out = append(out, p.Var)
		}
	}
	return out
}

// PaddedSize rounds h and w up to the network's stride (Config.Stride).
func (m *Model) PaddedSize(h, w int) (ph, pw int) {
	s := m.cfg.Stride()
	return (h + s - 1) / s * s, (w + s - 1) / s * s
}

// Forward returns NCHW logits [N,K,H,W] for images x[N,3,H,W] of any size,
// in the current train/eval mode. Inputs are zero-padded at the bottom and
// right to a multiple of Config.Stride, the logits are computed at 1/4 of
// the padded size, upsampled bilinearly ×4 and cropped back to H×W.
// Forward(x) equals Classify(ForwardFeatures(x), H, W).
func (m *Model) Forward(x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.NCHW()
	return m.Classify(m.ForwardFeatures(x), h, w)
}

// ForwardFeatures returns the pre-logit features [N,FeatureWidth,H'/s,W'/s]
// (s = FeatureStride, 4 or 2)
// of x[N,3,H,W], H'×W' the padded size: ReLU(BN(·)) of the ladder output,
// so they are non-negative (what ReAct clips). It panics if x does not have
// 3 channels.
func (m *Model) ForwardFeatures(x *autograd.Var) *autograd.Var {
	if x.Value.Dims() != 4 || x.Value.Shape[1] != 3 || x.Value.Shape[0] < 1 || x.Value.Shape[2] < 1 || x.Value.Shape[3] < 1 {
		panic(fmt.Sprintf("seg.Model.ForwardFeatures: input shape %v, want [N,3,H,W]", x.Value.Shape))
	}
	if m.tv != nil {
		return m.tv.Features(x)
	}
	_, _, h, w := x.Value.NCHW()
	ph, pw := m.PaddedSize(h, w)
	if ph != h || pw != w {
		x = autograd.Pad2d(x, 0, ph-h, 0, pw-w, 0)
	}
	stem, skips, top := m.enc.forward(x)
	return m.dec.features(top, skips, stem)
}

// FeatureStride is the resolution of the pre-logit features and native
// logits relative to the padded input (Config.FeatureStride: 4 as in
// LDN, or 2).
func (m *Model) FeatureStride() int { return m.cfg.FeatureStride() }

// featureSize is the feature grid of an h×w input.
func (m *Model) featureSize(h, w int) (fh, fw int) {
	if m.tv != nil {
		return tv.FeatureSize(m.cfg.Arch, h, w)
	}
	ph, pw := m.PaddedSize(h, w)
	s := m.FeatureStride()
	return ph / s, pw / s
}

// Classify maps pre-logit features (from ForwardFeatures of an h×w input)
// to logits [N,K,h,w]: head dropout (training mode only), 1×1 classifier,
// bilinear ×4 upsampling, crop. It panics if the feature shape does not
// belong to an h×w input. A UNO head's negative channel is dropped before
// the upsampling (ClassifyAll keeps it).
func (m *Model) Classify(features *autograd.Var, h, w int) *autograd.Var {
	return m.classify(features, h, w, m.cfg.NumClasses)
}

// ClassifyAll is Classify with all Config.Outputs() channels: K+1 for a
// UNO head, the last being the negative class.
func (m *Model) ClassifyAll(features *autograd.Var, h, w int) *autograd.Var {
	return m.classify(features, h, w, m.cfg.Outputs())
}

// ForwardAll is Forward with all Config.Outputs() channels (see
// ClassifyAll): what a UNO head is trained on.
func (m *Model) ForwardAll(x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.NCHW()
	return m.ClassifyAll(m.ForwardFeatures(x), h, w)
}

// HasNegativeClass reports whether the classifier has a UNO head's
// (K+1)-th negative class (Config.Head).
func (m *Model) HasNegativeClass() bool { return m.cfg.Head == HeadUNO }

func (m *Model) classify(features *autograd.Var, h, w, channels int) *autograd.Var {
	if err := m.checkFeatures(features.Value, h, w); err != nil {
		panic("seg.Model.Classify: " + err.Error())
	}
	if m.tv != nil { // torchvision resizes the native logits straight to h×w
		return m.tv.Upsample(keepChannels(m.tv.Head(features), channels), h, w)
	}
	f := features
	if m.dec.drop != nil {
		f = m.dec.drop.Forward(f)
	}
	y := keepChannels(m.dec.logits.Forward(f), channels)
	_, _, fh, fw := y.Value.NCHW()
	s := m.FeatureStride()
	y = autograd.ResizeBilinear(y, s*fh, s*fw)
	if s*fh != h || s*fw != w {
		y = autograd.Crop2d(y, 0, 0, h, w)
	}
	return y
}

// keepChannels returns the first c channels of y [N,C,h,w] (y itself when
// c = C), differentiably.
func keepChannels(y *autograd.Var, c int) *autograd.Var {
	if n := y.Value.Shape[1]; c < n {
		return autograd.Split(y, c, n-c)[0]
	}
	return y
}

// HeadLogits maps pre-logit features [N,D,h,w] to native logits
// [N,Outputs,h,w] with the final 1×1 classifier alone (no dropout, no
// upsampling), differentiably: the head that VOS-style virtual outlier
// features are trained through (train/joint's GMM negatives). A UNO
// head's negative channel is included.
func (m *Model) HeadLogits(features *autograd.Var) *autograd.Var {
	if m.tv != nil {
		return m.tv.Head(features)
	}
	return m.dec.logits.Forward(features)
}

func (m *Model) checkFeatures(f *tensor.Tensor, h, w int) error {
	if h < 1 || w < 1 {
		return fmt.Errorf("%w: output size %dx%d", ErrInput, h, w)
	}
	fh, fw := m.featureSize(h, w)
	if f.Dims() != 4 || f.Shape[0] < 1 || f.Shape[1] != m.cfg.FeatureWidth() || f.Shape[2] != fh || f.Shape[3] != fw {
		return fmt.Errorf("%w: features of shape %v do not belong to a %dx%d input (want [N,%d,%d,%d])",
			ErrInput, f.Shape, h, w, m.cfg.FeatureWidth(), fh, fw)
	}
	return nil
}

// FLOPs returns the floating-point operations (2 per multiply-add) of the
// convolutions of one forward pass over a single h×w image, padding
// included. Batch norm, activations, pooling and resizing add a few percent
// and are not counted.
func (m *Model) FLOPs(h, w int) int64 {
	if m.tv != nil {
		return 0 // not counted for imported architectures
	}
	restore := m.evalScope()
	defer restore()
	defer autograd.NoGrad()()
	m.ctr.on, m.ctr.n = true, 0
	defer func() { m.ctr.on = false }()
	m.Forward(autograd.Const(tensor.New(1, 3, h, w)))
	return m.ctr.n
}

// evalScope switches to eval mode and returns a function restoring the
// previous mode.
func (m *Model) evalScope() (restore func()) {
	prev := m.training
	nn.Eval(m)
	return func() {
		if prev {
			nn.Train(m)
		}
	}
}
