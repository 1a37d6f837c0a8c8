package seg

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"

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
}

// ImportTorch builds a bundle model of an imported architecture (tv.Archs)
// for the given class names from PyTorch weights: a torch.save file
// (.pth, .pt, read by package checkpoint/pth, nothing executed) or a
// .safetensors file with torchvision's tensor names. The BundleInfo it
// returns normalises inputs as torchvision does (RGB/255, ImageNet mean
// and std) and scores with MSP until NFlowJS fine-tuning.
func ImportTorch(arch, weights string, classes []string) (*Model, BundleInfo, ImportReport, error) {
	var rep ImportReport
	if !tv.IsArch(arch) {
		return nil, BundleInfo{}, rep, fmt.Errorf("%w: unknown architecture %q (have %v)", ErrConfig, arch, tv.Archs())
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
