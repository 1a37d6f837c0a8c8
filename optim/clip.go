package optim

import (
	"math"

	"github.com/nflowjs/nflowjs/autograd"
)

// clipEps keeps the clipping coefficient finite for a zero gradient; it is
// PyTorch's constant in clip_grad_norm_.
const clipEps = 1e-6

// GradNorm returns the global L2 norm of all gradients (nil gradients count
// as zero), accumulated in float64.
func GradNorm(params []*autograd.Var) float64 {
	var ss float64
	for _, p := range params {
		if p == nil || p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			ss += float64(g) * float64(g)
		}
	}
	return math.Sqrt(ss)
}

// ClipGradNorm scales all gradients by min(1, maxNorm/(‖g‖+1e-6)), ‖g‖ the
// global L2 norm over every gradient, and returns ‖g‖ before clipping —
// torch.nn.utils.clip_grad_norm_. A non-finite norm is returned as is and,
// as in PyTorch, poisons the gradients (callers should check it).
func ClipGradNorm(params []*autograd.Var, maxNorm float64) float64 {
	norm := GradNorm(params)
	coef := maxNorm / (norm + clipEps)
	if coef >= 1 {
		return norm
	}
	c := float32(coef)
	for _, p := range params {
		if p == nil || p.Grad == nil {
			continue
		}
		for i := range p.Grad.Data {
			p.Grad.Data[i] *= c
		}
	}
	return norm
}

// ClipGradValue clamps every gradient element to [−clip, clip]
// (torch.nn.utils.clip_grad_value_). NaNs are left as they are.
func ClipGradValue(params []*autograd.Var, clip float64) {
	hi := float32(clip)
	for _, p := range params {
		if p == nil || p.Grad == nil {
			continue
		}
		for i, g := range p.Grad.Data {
			if g > hi {
				p.Grad.Data[i] = hi
			} else if g < -hi {
				p.Grad.Data[i] = -hi
			}
		}
	}
}
