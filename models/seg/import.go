package seg

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nflowjs/nflowjs/nn"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/checkpoint/pth"
	"github.com/nflowjs/nflowjs/internal/convention"
	"github.com/nflowjs/nflowjs/models/tv"
	"github.com/nflowjs/nflowjs/tensor"
)

// ImportReport says what an import read and used.
type ImportReport struct {
	Loaded int
	// Unused lists file tensors the model does not need (torchvision's
	// aux_classifier.*); Skipped lists non-float tensors of a .pth
	// (BatchNorm's num_batches_tracked) by dtype.
	Unused  []string
	Skipped map[string]string
	// Found is where the state dict sat in a training checkpoint ("" for a
	// bare state dict).
	Found string
	// Fresh counts the model tensors the file did not provide and that
	// keep their initialisation (LDN-121's decoder when the weights are
	// an ImageNet DenseNet-121).
	Fresh int
}

// LDN121 is the import name of the paper's LDN-121 (preset "ldn121"):
// its encoder takes torchvision's densenet121 weights.
const LDN121 = "ldn121"

// ImportArchs lists what ImportTorch imports.
func ImportArchs() []string { return append(tv.Archs(), LDN121) }

// denseNetName maps a torchvision densenet121 tensor name to the ldn121
// preset's: features.* is the encoder, except the final norm5, which is
// the BN that opens the SPP module (both normalise the last block's
// output before a ReLU); the ImageNet classifier has no counterpart.
func denseNetName(name string) (string, bool) {
	switch {
	case strings.HasPrefix(name, "features.norm5."):
		return "decoder.spp.norm." + strings.TrimPrefix(name, "features.norm5."), true
	case strings.HasPrefix(name, "features."):
		return "encoder." + strings.TrimPrefix(name, "features."), true
	}
	return "", false
}

// importLDN121 builds the ldn121 preset and loads sd into it: a
// densenet121 state dict (torchvision's names: the encoder, the decoder
// stays fresh; a classification checkpoint works) or a complete ldn121
// state dict in nflowjs's names. Every missing encoder tensor, unexpected
// or mis-shaped tensor is named in one error.
func importLDN121(sd map[string]*tensor.Tensor, classes int, rep *ImportReport) (*Model, error) {
	cfg, err := PresetConfig("ldn121", classes)
	if err != nil {
		return nil, err
	}
	m, err := New(cfg, rand.New(rand.NewPCG(121, 121)))
	if err != nil {
		return nil, err
	}
	want := nn.StateDict(m)
	got := map[string]bool{}
	var unexpected, shape []string
	for name, t := range sd {
		target := name
		if _, ok := want[name]; !ok {
			mapped, ok := denseNetName(name)
			if !ok {
				if strings.HasPrefix(name, "classifier.") {
					rep.Unused = append(rep.Unused, name)
				} else {
					unexpected = append(unexpected, name)
				}
				continue
			}
			target = mapped
		}
		w, ok := want[target]
		switch {
		case !ok:
			unexpected = append(unexpected, name)
		case !tensor.ShapeEqual(w.Shape, t.Shape):
			shape = append(shape, fmt.Sprintf("%s (file %v, model %v)", name, t.Shape, w.Shape))
		default:
			got[target] = true
		}
	}
	var missing []string
	for name := range want {
		if got[name] || strings.HasSuffix(name, "num_batches_tracked") {
			continue
		}
		if strings.HasPrefix(name, "encoder.") {
			missing = append(missing, name)
		} else {
			rep.Fresh++
		}
	}
	if len(missing)+len(unexpected)+len(shape) > 0 {
		return nil, mismatch("ldn121", classes, missing, unexpected, shape)
	}
	for name, t := range sd {
		target := name
		if _, ok := want[name]; !ok {
			if mapped, ok := denseNetName(name); ok {
				target = mapped
			} else {
				continue
			}
		}
		copy(want[target].Data, t.Data)
		rep.Loaded++
	}
	slices.Sort(rep.Unused)
	return m, nil
}

// mismatch names every missing, unexpected and mis-shaped tensor.
func mismatch(arch string, classes int, missing, unexpected, shape []string) error {
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"missing", missing}, {"unexpected", unexpected}, {"mis-shaped", shape}} {
		if len(p.names) > 0 {
			slices.Sort(p.names)
			parts = append(parts, fmt.Sprintf("%d %s: %s", len(p.names), p.what, strings.Join(p.names, ", ")))
		}
	}
	return fmt.Errorf("%w: the weights do not fit %s with %d classes: %s", ErrBundle, arch, classes, strings.Join(parts, "; "))
}

// ImportTorch builds a bundle model of an imported architecture (tv.Archs)
// for the given class names from PyTorch weights: a torch.save file
// (.pth, .pt, read by package checkpoint/pth, nothing executed) or a
// .safetensors file with torchvision's tensor names. The BundleInfo it
// returns normalises inputs as torchvision does (RGB/255, ImageNet mean
// and std) and scores with MSP until NFlowJS fine-tuning.
func ImportTorch(arch, weights string, classes []string) (*Model, BundleInfo, ImportReport, error) {
	var rep ImportReport
	if arch != LDN121 && !tv.IsArch(arch) {
		return nil, BundleInfo{}, rep, fmt.Errorf("%w: unknown architecture %q (have %v)", ErrConfig, arch, ImportArchs())
	}
	var sd map[string]*tensor.Tensor
	if strings.EqualFold(filepath.Ext(weights), ".safetensors") {
		t, _, err := checkpoint.Load(weights)
		if err != nil {
			return nil, BundleInfo{}, rep, err
		}
		sd = t
	} else {
		p, err := pth.Read(weights)
		if err != nil {
			return nil, BundleInfo{}, rep, err
		}
		sd, rep.Skipped, rep.Found = p.Tensors, p.Skipped, p.Found
	}
	if arch == LDN121 {
		m, err := importLDN121(sd, len(classes), &rep)
		if err != nil {
			return nil, BundleInfo{}, rep, fmt.Errorf("%s: %w", weights, err)
		}
		info := NewInfo(m, classes, "msp", "imported")
		info.Mean, info.Std = convention.Mean, convention.Std
		info.Extra = map[string]any{"imported_from": weights, "arch": arch, "fresh_tensors": rep.Fresh}
		return m, info, rep, nil
	}
	// The seed does not matter: every weight is overwritten.
	m, err := New(Config{Arch: arch, NumClasses: len(classes)}, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, BundleInfo{}, rep, err
	}
	lr, err := m.tv.Load(sd)
	if err != nil {
		return nil, BundleInfo{}, rep, fmt.Errorf("%s: %w", weights, err)
	}
	rep.Loaded, rep.Unused = lr.Loaded, lr.Unused
	info := NewInfo(m, classes, "msp", "imported")
	info.Mean, info.Std = convention.Mean, convention.Std
	info.Extra = map[string]any{"imported_from": weights, "arch": arch}
	return m, info, rep, nil
}
