package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor"
)

// GradCheckError reports the worst mismatch found by GradCheck.
type GradCheckError struct {
	Input    int     // which input tensor
	Index    int     // flat element index inside it
	Analytic float64 // gradient from Backward
	Numeric  float64 // central finite difference
	Tol      float64 // the bound it exceeded: tol·(1 + |Numeric|)
	Failures int     // how many elements failed in total
}

func (e *GradCheckError) Error() string {
	return fmt.Sprintf("autograd: gradcheck: input %d element %d: analytic %.6g, numeric %.6g (|diff| %.3g > %.3g); %d element(s) failed",
		e.Input, e.Index, e.Analytic, e.Numeric, math.Abs(e.Analytic-e.Numeric), e.Tol, e.Failures)
}

// GradCheck compares the gradients Backward computes for f against central
// finite differences and returns a *GradCheckError describing the worst
// element if any differs by more than tol·(1 + |numeric|) — an absolute
// tolerance for small gradients and a relative one for large gradients.
//
// f receives one Input Var (requiring a gradient) per tensor in inputs,
// which GradCheck copies and never modifies. f must be deterministic (seed
// any randomness inside f) and must not write into its inputs (checked).
// If f's output is not a scalar it is reduced to L = Σ r·f(x) with a fixed
// random r, so every output element is exercised. Each derivative is
// (L(x+ε) − L(x−ε)) / 2ε with ε = eps and L accumulated in float64. The ops
// themselves run in float32, so eps must not be too small: eps 1e-2 with
// tol 1e-3 suits inputs of magnitude ~1 (the truncation error is O(ε²),
// the float32 rounding error O(1e-7/ε)). Keep inputs away from kinks (ReLU
// at 0, max-pool ties): differences straddling a kink measure an average
// slope, not the derivative.
func GradCheck(f func(inputs []*Var) *Var, inputs []*tensor.Tensor, eps, tol float64) error {
	if eps <= 0 || tol <= 0 {
		return fmt.Errorf("autograd: gradcheck: eps (%g) and tol (%g) must be positive", eps, tol)
	}
	xs := make([]*tensor.Tensor, len(inputs))
	for i, t := range inputs {
		xs[i] = t.Clone()
	}
	vars := func() []*Var {
		vs := make([]*Var, len(xs))
		for i, t := range xs {
			vs[i] = Input(t, true)
		}
		return vs
	}

	// Analytic pass.
	vs := vars()
	out := f(vs)
	if out == nil || out.Value == nil {
		return fmt.Errorf("autograd: gradcheck: f returned no value")
	}
	// A fixed projection keeps the check reproducible.
	rng := rand.New(rand.NewPCG(1, 2))
	r := tensor.NewLike(out.Value)
	for i := range r.Data {
		r.Data[i] = float32(rng.Float64()*2 - 1)
	}
	if len(r.Data) == 1 {
		r.Data[0] = 1
	}
	if !out.RequiresGrad() {
		return fmt.Errorf("autograd: gradcheck: f's output does not depend on its inputs through the graph")
	}
	out.BackwardWith(r)
	// An op that writes into its inputs would corrupt every later
	// evaluation (and real training); catch it here.
	for i, x := range xs {
		for j, v := range x.Data {
			if math.Float32bits(v) != math.Float32bits(inputs[i].Data[j]) {
				return fmt.Errorf("autograd: gradcheck: f modified input %d (element %d)", i, j)
			}
		}
	}

	loss := func() float64 {
		o := f(vars()).Value
		if !tensor.ShapeEqual(o.Shape, r.Shape) {
			panic(fmt.Sprintf("autograd: gradcheck: f's output shape changed from %v to %v", r.Shape, o.Shape))
		}
		var s float64
		for i, v := range o.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}

	var worst *GradCheckError
	worstRatio, failures := 0.0, 0
	for i, x := range xs {
		var grad []float32
		if vs[i].Grad != nil {
			grad = vs[i].Grad.Data
		}
		for j := range x.Data {
			orig := x.Data[j]
			x.Data[j] = orig + float32(eps)
			lp := loss()
			x.Data[j] = orig - float32(eps)
			lm := loss()
			x.Data[j] = orig
			// Divide by the step actually taken in float32.
			step := float64(orig+float32(eps)) - float64(orig-float32(eps))
			num := (lp - lm) / step
			ana := 0.0
			if grad != nil {
				ana = float64(grad[j])
			}
			bound := tol * (1 + math.Abs(num))
			d := math.Abs(ana - num)
			if !(d <= bound) { // also catches NaN
				failures++
				ratio := d / bound
				if math.IsNaN(d) {
					ratio = math.Inf(1)
				}
				if worst == nil || ratio > worstRatio {
					worstRatio = ratio
					worst = &GradCheckError{Input: i, Index: j, Analytic: ana, Numeric: num, Tol: bound}
				}
			}
		}
	}
	if worst != nil {
		worst.Failures = failures
		return worst
	}
	return nil
}
