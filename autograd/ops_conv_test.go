package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// distinct returns a tensor whose values are a random permutation of an
// evenly spaced grid with spacing 0.05, so finite-difference steps of 1e-2
// never change which element of a pooling window is the maximum.
func distinct(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i, p := range rng.Perm(len(t.Data)) {
		t.Data[i] = float32(p)*0.05 - float32(len(t.Data))*0.025
	}
	return t
}

func TestGradConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	var cases []gradCase
	for _, c := range []struct {
		n, ci, co, h, w, k int
		o                  tensor.ConvOpts
		bias               bool
	}{
		{1, 1, 1, 3, 3, 1, tensor.ConvOpts{}, true},
		{2, 3, 2, 5, 4, 3, tensor.ConvOpts{Pad: 1}, true},
		{2, 2, 3, 6, 6, 3, tensor.ConvOpts{Stride: 2, Pad: 1}, false},
		{1, 2, 2, 7, 5, 3, tensor.ConvOpts{Stride: 2}, true},
		{1, 2, 2, 7, 7, 3, tensor.ConvOpts{Pad: 2, Dilation: 2}, true},
		{2, 3, 4, 4, 4, 1, tensor.ConvOpts{}, true},
		{1, 2, 3, 5, 5, 2, tensor.ConvOpts{Stride: 3, Pad: 1}, true},
	} {
		x := randT(rng, -1, 1, c.n, c.ci, c.h, c.w)
		w := randT(rng, -1, 1, c.co, c.ci, c.k, c.k)
		name := fmt.Sprintf("k%d/s%d/p%d/d%d", c.k, c.o.Stride, c.o.Pad, c.o.Dilation)
		if c.bias {
			cases = append(cases, gradCase{name: "Conv2d/" + name, f: func(v []*Var) *Var {
				return Conv2d(v[0], v[1], v[2], c.o)
			}, inputs: []*tensor.Tensor{x, w, randT(rng, -1, 1, c.co)}})
		} else {
			cases = append(cases, gradCase{name: "Conv2d/nobias/" + name, f: func(v []*Var) *Var {
				return Conv2d(v[0], v[1], nil, c.o)
			}, inputs: []*tensor.Tensor{x, w}})
		}
		// Transposed: input has the conv's output channels; weight [Ci,Co,k,k].
		for _, outPad := range []int{0, 1} {
			s := max(c.o.Stride, 1)
			d := max(c.o.Dilation, 1)
			if outPad >= s && outPad >= d {
				continue // PyTorch requires output_padding < stride or dilation
			}
			xt := randT(rng, -1, 1, c.n, c.ci, c.h, c.w)
			wt := randT(rng, -1, 1, c.ci, c.co, c.k, c.k)
			cases = append(cases, gradCase{name: fmt.Sprintf("ConvTranspose2d/%s/op%d", name, outPad), f: func(v []*Var) *Var {
				return ConvTranspose2d(v[0], v[1], v[2], c.o, outPad)
			}, inputs: []*tensor.Tensor{xt, wt, randT(rng, -1, 1, c.co)}})
		}
	}
	runGradCases(t, cases)
}

func TestGradConvConstInput(t *testing.T) {
	// An input image that needs no gradient still lets weights learn.
	rng := rand.New(rand.NewPCG(10, 10))
	x := Const(randT(rng, -1, 1, 1, 2, 4, 4))
	runGradCases(t, []gradCase{{name: "weights-only", f: func(v []*Var) *Var {
		return Conv2d(x, v[0], v[1], tensor.ConvOpts{Pad: 1})
	}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 3, 2, 3, 3), randT(rng, -1, 1, 3)}}})
}

func TestGradPoolResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	var cases []gradCase
	for _, p := range []struct{ k, s, pad, h, w int }{
		{2, 2, 0, 4, 6}, {3, 2, 1, 5, 5}, {3, 1, 1, 4, 3}, {2, 0, 0, 5, 4}, {3, 3, 0, 7, 6},
	} {
		name := fmt.Sprintf("k%d/s%d/p%d/%dx%d", p.k, p.s, p.pad, p.h, p.w)
		cases = append(cases,
			gradCase{name: "MaxPool2d/" + name, f: func(v []*Var) *Var {
				return MaxPool2d(v[0], p.k, p.s, p.pad)
			}, inputs: []*tensor.Tensor{distinct(rng, 2, 2, p.h, p.w)}},
			gradCase{name: "AvgPool2d/" + name, f: func(v []*Var) *Var {
				return AvgPool2d(v[0], p.k, p.s, p.pad)
			}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 2, p.h, p.w)}},
		)
	}
	for _, s := range [][4]int{{5, 7, 2, 3}, {4, 4, 1, 1}, {3, 5, 6, 7}, {6, 6, 4, 4}} {
		name := fmt.Sprintf("%dx%d->%dx%d", s[0], s[1], s[2], s[3])
		cases = append(cases,
			gradCase{name: "AdaptiveAvgPool2d/" + name, f: func(v []*Var) *Var {
				return AdaptiveAvgPool2d(v[0], s[2], s[3])
			}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 2, s[0], s[1])}},
			gradCase{name: "ResizeBilinear/" + name, f: func(v []*Var) *Var {
				return ResizeBilinear(v[0], s[2], s[3])
			}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 2, s[0], s[1])}},
		)
	}
	cases = append(cases, gradCase{name: "ResizeBilinear/x2", f: func(v []*Var) *Var {
		return ResizeBilinear(v[0], 8, 6)
	}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 1, 3, 4, 3)}})
	runGradCases(t, cases)
}

func TestGradConvFrozenWeights(t *testing.T) {
	// Frozen weights and bias (constants) take the input-gradient-only
	// path; it must agree with finite differences and with the full VJP.
	rng := rand.New(rand.NewPCG(11, 11))
	o := tensor.ConvOpts{Stride: 2, Pad: 1}
	w, b := Const(randT(rng, -1, 1, 3, 2, 3, 3)), Const(randT(rng, -1, 1, 3))
	wt := Const(randT(rng, -1, 1, 2, 3, 3, 3))
	runGradCases(t, []gradCase{
		{name: "conv-frozen", f: func(v []*Var) *Var { return Conv2d(v[0], w, b, o) }, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 2, 5, 6)}},
		{name: "convT-frozen", f: func(v []*Var) *Var { return ConvTranspose2d(v[0], wt, nil, o, 1) }, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 2, 4, 5)}},
	})
	x := randT(rng, -1, 1, 2, 2, 5, 6)
	grad := func(freeze bool) (*tensor.Tensor, *tensor.Tensor) {
		xv := Input(x, true)
		wv := Param(w.Value.Clone(), "w")
		wv.SetRequiresGrad(!freeze)
		Sum(Conv2d(xv, wv, nil, o)).Backward()
		return xv.Grad, wv.Grad
	}
	gxFull, gwFull := grad(false)
	gxFrozen, gwFrozen := grad(true)
	if gwFull == nil || gwFrozen != nil {
		t.Fatalf("weight gradient: trainable %v, frozen %v (want a gradient, then none)", gwFull != nil, gwFrozen != nil)
	}
	for i := range gxFull.Data {
		if gxFull.Data[i] != gxFrozen.Data[i] {
			t.Fatalf("∂/∂x[%d]: %g with trainable weights, %g frozen", i, gxFull.Data[i], gxFrozen.Data[i])
		}
	}
}
