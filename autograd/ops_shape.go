package autograd

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
)

// Shape ops move values around without arithmetic; each VJP is the adjoint
// data movement (Concat↔Split, Squeeze2d↔Unsqueeze2d, Pad2d↔Crop2d).

// Reshape returns a view of x with a new shape (one dimension may be −1);
// the gradient is reshaped back.
func Reshape(x *Var, shape ...int) *Var {
	return NewOp(x.Value.Reshape(shape...), func(g *tensor.Tensor) {
		x.AccumGrad(g.Reshape(x.Value.Shape...))
	}, x)
}

// Concat joins 4-D Vars along the channel axis; the gradient is split back.
func Concat(xs ...*Var) *Var {
	vals := make([]*tensor.Tensor, len(xs))
	sizes := make([]int, len(xs))
	for i, x := range xs {
		vals[i] = x.Value
		_, sizes[i], _, _ = x.Value.NCHW()
	}
	out := NewOp(tensor.Concat(vals...), func(g *tensor.Tensor) {
		for i, part := range tensor.Split(g, sizes...) {
			xs[i].accumOwned(part)
		}
	}, xs...)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Concat", out, xs, nil)
	}
	return out
}

// Split cuts x[N,C,H,W] along the channel axis into pieces with the given
// channel counts (summing to C). Each piece's gradient is added into its
// channel range of x's gradient, so unused pieces cost nothing.
func Split(x *Var, sizes ...int) []*Var {
	parts := tensor.Split(x.Value, sizes...)
	n, c, h, w := x.Value.NCHW()
	hw := h * w
	out := make([]*Var, len(parts))
	c0 := 0
	for i, p := range parts {
		lo, size := c0, sizes[i]
		c0 += size
		out[i] = NewOp(p, func(g *tensor.Tensor) {
			dst := x.gradBuffer()
			for b := 0; b < n; b++ {
				d := dst.Data[(b*c+lo)*hw : (b*c+lo+size)*hw]
				for j, v := range g.Data[b*size*hw : (b+1)*size*hw] {
					d[j] += v
				}
			}
		}, x)
	}
	return out
}

// Squeeze2d is space-to-depth with factor f (pixel_unshuffle):
// [N,C,H,W] → [N,C·f²,H/f,W/f]. Its VJP is Unsqueeze2d.
func Squeeze2d(x *Var, f int) *Var {
	return NewOp(tensor.Squeeze2d(x.Value, f), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Unsqueeze2d(g, f))
	}, x)
}

// Unsqueeze2d is depth-to-space (pixel_shuffle), the inverse of Squeeze2d.
// Its VJP is Squeeze2d.
func Unsqueeze2d(x *Var, f int) *Var {
	return NewOp(tensor.Unsqueeze2d(x.Value, f), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Squeeze2d(g, f))
	}, x)
}

// Pad2d pads x[N,C,H,W] with value; the VJP crops the gradient.
func Pad2d(x *Var, top, bottom, left, right int, value float32) *Var {
	_, _, h, w := x.Value.NCHW()
	out := NewOp(tensor.Pad2d(x.Value, top, bottom, left, right, value), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Crop2d(g, top, left, h, w))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Pad", out, []*Var{x}, map[string]any{"top": top, "bottom": bottom, "left": left, "right": right, "value": value})
	}
	return out
}

// Crop2d returns the h×w window of x[N,C,H,W] at (top, left); the VJP pads
// the gradient with zeros.
func Crop2d(x *Var, top, left, h, w int) *Var {
	_, _, ih, iw := x.Value.NCHW()
	out := NewOp(tensor.Crop2d(x.Value, top, left, h, w), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Pad2d(g, top, ih-top-h, left, iw-left-w, 0))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Crop", out, []*Var{x}, map[string]any{"top": top, "left": left, "h": h, "w": w})
	}
	return out
}

// gradBuffer returns v.Grad, allocating a zero gradient first if needed, so
// an op can accumulate into part of it in place.
func (v *Var) gradBuffer() *tensor.Tensor {
	if v.Grad == nil {
		v.Grad = tensor.NewLike(v.Value)
	}
	if len(v.Grad.Data) != len(v.Value.Data) {
		panic(fmt.Sprintf("autograd: gradient of shape %v for value of shape %v", v.Grad.Shape, v.Value.Shape))
	}
	return v.Grad
}
