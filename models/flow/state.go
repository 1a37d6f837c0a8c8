package flow

import (
	"fmt"
	"math"
	"sort"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// BitsPerDim returns the mean over the batch of −log p(x)/(D·ln 2) + 8 as a
// scalar Var (the training loss in bits/dim), where logp is LogProb's [N]
// output and D = C·H·W.
func BitsPerDim(logp *autograd.Var, dims int) *autograd.Var {
	return autograd.AddScalar(autograd.Scale(autograd.Mean(logp), float32(-1/(float64(dims)*math.Ln2))), Bits8)
}

// StateDict returns every parameter and buffer by dotted name. The tensors
// are the flow's own (not copies).
func (f *Flow) StateDict() map[string]*tensor.Tensor {
	sd := make(map[string]*tensor.Tensor, len(f.params)+len(f.bufs))
	for _, p := range f.params {
		sd[p.Name] = p.Value
	}
	for k, b := range f.bufs {
		sd[k] = b
	}
	return sd
}

// LoadStateDict copies a state dict into the flow. Every key must be present
// with the right shape and no unknown key is allowed. Loading marks the
// actnorm layers as initialised (their values come from training).
func (f *Flow) LoadStateDict(sd map[string]*tensor.Tensor) error {
	own := f.StateDict()
	var missing, extra []string
	for k := range own {
		if _, ok := sd[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range sd {
		if _, ok := own[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		sort.Strings(missing)
		sort.Strings(extra)
		return fmt.Errorf("%w: state dict mismatch: missing %v, unexpected %v", ErrConfig, missing, extra)
	}
	for k, dst := range own {
		src := sd[k]
		if !tensor.ShapeEqual(src.Shape, dst.Shape) {
			return fmt.Errorf("%w: state dict entry %q has shape %v, want %v", ErrShape, k, src.Shape, dst.Shape)
		}
		if src.HasNaNOrInf() {
			return fmt.Errorf("%w: state dict entry %q contains NaN or Inf", ErrConfig, k)
		}
	}
	for k, dst := range own {
		dst.CopyFrom(sd[k])
	}
	f.forEachActNorm(func(a *actNorm) { a.inited = true })
	return nil
}

// Initialized reports whether the data-dependent actnorm initialisation
// has happened (first forward pass, or LoadStateDict).
func (f *Flow) Initialized() bool {
	ok := true
	f.forEachActNorm(func(a *actNorm) { ok = ok && a.inited })
	return ok
}

func (f *Flow) forEachActNorm(fn func(*actNorm)) {
	for _, lv := range f.levels {
		for _, u := range lv.units {
			for _, s := range u.steps {
				if a, ok := s.(*actNorm); ok {
					fn(a)
				}
			}
		}
	}
}
