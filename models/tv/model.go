package tv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Archs lists the architecture names, as torchvision spells its builders.
func Archs() []string {
	return []string{"fcn_resnet50", "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
		"lraspp_mobilenet_v3_large", "deepwv3plus"}
}

// Model is a torchvision segmentation network: backbone and classifier,
// the logits upsampled bilinearly to the input (torchvision's "out").
type Model struct {
	Arch       string
	NumClasses int
	backbone   *resnet         // ResNet models
	mobile     *mobileBackbone // MobileNetV3 models
	classifier *nn.Sequential  // FCN and DeepLabV3 heads
	lraspp     *lrasppHead     // LR-ASPP's head
	wrn        *deepWV3Plus    // NVIDIA's DeepWV3Plus (its own layout and names)
}

// New builds arch for numClasses classes with weights from rng (not
// torchvision's initialisation: an imported model's weights replace them).
func New(arch string, numClasses int, rng *rand.Rand) (*Model, error) {
	if numClasses < 1 {
		return nil, fmt.Errorf("tv: %d classes", numClasses)
	}
	m := &Model{Arch: arch, NumClasses: numClasses}
	switch arch {
	case "fcn_resnet50":
		m.backbone, m.classifier = newResNet(rng, [4]int{3, 4, 6, 3}), fcnHead(rng, 2048, numClasses)
	case "deeplabv3_resnet50":
		m.backbone, m.classifier = newResNet(rng, [4]int{3, 4, 6, 3}), deepLabHead(rng, 2048, numClasses)
	case "deeplabv3_resnet101":
		m.backbone, m.classifier = newResNet(rng, [4]int{3, 4, 23, 3}), deepLabHead(rng, 2048, numClasses)
	case "deeplabv3_mobilenet_v3_large":
		m.mobile, m.classifier = &mobileBackbone{newMobileNetV3Large(rng)}, deepLabHead(rng, 960, numClasses)
	case "lraspp_mobilenet_v3_large":
		m.mobile, m.lraspp = &mobileBackbone{newMobileNetV3Large(rng)}, newLRASPPHead(rng, 40, 960, numClasses, 128)
	case "deepwv3plus":
		m.wrn = newDeepWV3Plus(rng, numClasses)
	default:
		return nil, fmt.Errorf("tv: unknown architecture %q (have %v)", arch, Archs())
	}
	// torchvision's backbones start from Kaiming-normal weights (fan_out,
	// ReLU gain) with zero biases; PyTorch's layer default would make the
	// 17-stage MobileNet's activations vanish (~1e-9) before any training.
	// The heads keep the layer default, as in torchvision.
	for _, p := range nn.NamedParameters(m) {
		w := p.Var.Value
		if !strings.HasPrefix(p.Name, m.EncoderPrefix()) {
			continue // heads keep PyTorch's layer default, as torchvision's do
		}
		switch {
		case len(w.Shape) == 4:
			nn.KaimingNormal(rng, w, w.Shape[0]*w.Shape[2]*w.Shape[3], math.Sqrt2)
		case strings.HasSuffix(p.Name, "bias"):
			w.Zero()
		}
	}
	nn.Eval(m)
	return m, nil
}

// Members names the children as torchvision does.
func (m *Model) Members() nn.Members {
	if m.wrn != nil {
		return m.wrn.Members() // mod1 … mod7, aspp, bot_fine, bot_aspp, final
	}
	var bb, head nn.Module = m.backbone, m.classifier
	if m.mobile != nil {
		bb = m.mobile
	}
	if m.lraspp != nil {
		head = m.lraspp
	}
	return nn.Members{Children: []nn.NamedModule{{Name: "backbone", Module: bb}, {Name: "classifier", Module: head}}}
}

// Forward returns the logits [N, K, H, W] of normalised images [N, 3, H, W].
func (m *Model) Forward(x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.NCHW()
	return m.Upsample(m.Head(m.Features(x)), h, w)
}

// AlignCorners reports whether the model upsamples with
// align_corners=True (DeepWV3Plus) rather than torchvision's False.
func (m *Model) AlignCorners() bool { return m.wrn != nil }

// Upsample resizes native logits (or any map on the feature grid) to
// h×w as the model does.
func (m *Model) Upsample(y *autograd.Var, h, w int) *autograd.Var {
	if m.AlignCorners() {
		return autograd.ResizeBilinearAligned(y, h, w)
	}
	return autograd.ResizeBilinear(y, h, w)
}

// EncoderPrefix is the state-dict prefix of the backbone's parameters.
func (m *Model) EncoderPrefix() string {
	if m.wrn != nil {
		return "mod"
	}
	return "backbone."
}

// Features returns the pre-logit features: the classifier without its
// final 1×1 convolution (FCN: 512 channels, DeepLabV3: 256 ReLU outputs)
// on the FeatureSize grid. LR-ASPP sums two classifiers, so it has no
// single pre-logit layer: its "features" are its native logits and Head
// is the identity.
func (m *Model) Features(x *autograd.Var) *autograd.Var {
	if m.wrn != nil {
		return m.wrn.features(x)
	}
	if m.lraspp != nil {
		low, high := m.mobile.forward(x)
		return m.lraspp.forward(low, high)
	}
	var y *autograd.Var
	if m.mobile != nil {
		_, y = m.mobile.forward(x)
	} else {
		_, y = m.backbone.forward(x)
	}
	for _, l := range m.classifier.Layers[:len(m.classifier.Layers)-1] {
		y = l.Forward(y)
	}
	return y
}

// Head maps features to native-resolution logits: the final 1×1
// convolution (the identity for LR-ASPP).
func (m *Model) Head(features *autograd.Var) *autograd.Var {
	if m.wrn != nil {
		return m.wrn.head(features)
	}
	if m.lraspp != nil {
		return features
	}
	return m.classifier.Layers[len(m.classifier.Layers)-1].Forward(features)
}

// FeatureWidth is the number of pre-logit feature channels of arch.
func FeatureWidth(arch string, classes int) int {
	switch arch {
	case "fcn_resnet50":
		return 512
	case "lraspp_mobilenet_v3_large":
		return classes
	}
	return asppWidth // DeepLabV3's, and DeepWV3Plus's final head (256)
}

// FeatureStride is the resolution of arch's features: 1/8 (ResNets with
// dilated layer3/4, LR-ASPP's low-level grid) or 1/16
// (deeplabv3_mobilenet_v3_large).
func FeatureStride(arch string) int {
	switch arch {
	case "deeplabv3_mobilenet_v3_large":
		return 16
	case "deepwv3plus":
		return 2 // its head runs on mod2's grid
	}
	return 8
}

// FeatureSize is the feature grid of an h×w input: every stride-2 step
// rounds up (convolutions and max-pool with "same" padding).
func FeatureSize(arch string, h, w int) (fh, fw int) {
	fh, fw = h, w
	for s := 1; s < FeatureStride(arch); s *= 2 {
		fh, fw = (fh+1)/2, (fw+1)/2
	}
	return fh, fw
}

// Dropouts returns the head's dropout layers (FCN: one, DeepLabV3: the
// ASPP projection's), for Monte-Carlo dropout and seeded masks.
func (m *Model) Dropouts() []*nn.Dropout {
	var out []*nn.Dropout
	var walk func(nn.Module)
	walk = func(mod nn.Module) {
		if d, ok := mod.(*nn.Dropout); ok {
			out = append(out, d)
		}
		if s, ok := mod.(*nn.Sequential); ok {
			for _, l := range s.Layers {
				walk(l)
			}
			return
		}
		for _, c := range mod.Members().Children {
			walk(c.Module)
		}
	}
	if m.classifier != nil {
		walk(m.classifier)
	}
	return out
}

// IsArch reports whether name is one of Archs.
func IsArch(name string) bool { return slices.Contains(Archs(), name) }

// Logits runs the model without recording gradients (ood.Model).
func (m *Model) Logits(images *tensor.Tensor) (*tensor.Tensor, error) {
	if len(images.Shape) != 4 || images.Shape[1] != 3 {
		return nil, fmt.Errorf("tv: images have shape %v, want [N, 3, H, W]", images.Shape)
	}
	defer autograd.NoGrad()()
	return m.Forward(autograd.Const(images)).Value, nil
}

// LoadReport says how a state dict matched the model.
type LoadReport struct {
	Loaded int
	// Unused are tensors of the file the model has no use for
	// (torchvision's aux_classifier.*).
	Unused []string
}

// Load copies a PyTorch state dict into m. Every missing, unexpected or
// mis-shaped tensor is named in one error; aux_classifier.* tensors and
// BatchNorm's num_batches_tracked (kept apart by the reader) are not
// required.
func (m *Model) Load(sd map[string]*tensor.Tensor) (LoadReport, error) {
	want := nn.StateDict(m)
	var missing, unexpected, shape []string
	var rep LoadReport
	for name, t := range want {
		if strings.HasSuffix(name, "num_batches_tracked") {
			continue
		}
		got, ok := sd[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case !tensor.ShapeEqual(got.Shape, t.Shape) || len(got.Data) != len(t.Data):
			shape = append(shape, fmt.Sprintf("%s (file %v, model %v)", name, got.Shape, t.Shape))
		}
	}
	for name := range sd {
		if _, ok := want[name]; ok {
			continue
		}
		if strings.HasPrefix(name, "aux_classifier.") {
			rep.Unused = append(rep.Unused, name)
			continue
		}
		unexpected = append(unexpected, name)
	}
	if len(missing)+len(unexpected)+len(shape) > 0 {
		sort.Strings(missing)
		sort.Strings(unexpected)
		sort.Strings(shape)
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, fmt.Sprintf("%d missing: %s", len(missing), strings.Join(missing, ", ")))
		}
		if len(unexpected) > 0 {
			parts = append(parts, fmt.Sprintf("%d unexpected: %s", len(unexpected), strings.Join(unexpected, ", ")))
		}
		if len(shape) > 0 {
			parts = append(parts, fmt.Sprintf("%d mis-shaped: %s", len(shape), strings.Join(shape, ", ")))
		}
		return rep, fmt.Errorf("tv: the weights do not fit %s with %d classes: %s", m.Arch, m.NumClasses, strings.Join(parts, "; "))
	}
	for name, t := range want {
		if got, ok := sd[name]; ok {
			copy(t.Data, got.Data)
			rep.Loaded++
		}
	}
	slices.Sort(rep.Unused)
	return rep, nil
}

// LinearHead returns the 1×1 convolution that maps the pre-logit features
// to the native logits, when the head is one (not LR-ASPP's).
func (m *Model) LinearHead() (*nn.Conv2d, bool) {
	var last nn.Layer
	switch {
	case m.wrn != nil:
		last = m.wrn.final.Layers[len(m.wrn.final.Layers)-1]
	case m.lraspp != nil:
		return nil, false
	default:
		last = m.classifier.Layers[len(m.classifier.Layers)-1]
	}
	c, ok := last.(*nn.Conv2d)
	if !ok || c.Kernel != 1 || c.Stride != 1 || c.Padding != 0 {
		return nil, false
	}
	return c, true
}
