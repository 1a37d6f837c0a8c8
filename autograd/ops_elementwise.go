package autograd

import (
	"fmt"
	"unsafe"

	"github.com/nflowjs/nflowjs/tensor"
)

// Elementwise ops. Each forward is a tensor kernel; each VJP multiplies the
// incoming gradient g by the local derivative, written as a slice loop so
// the per-element cost stays a loop iteration (see zip).

// Add returns a + b (same shapes); ∂/∂a = ∂/∂b = g.
func Add(a, b *Var) *Var {
	out := NewOp(tensor.Add(a.Value, b.Value), func(g *tensor.Tensor) {
		a.AccumGrad(g)
		b.AccumGrad(g)
	}, a, b)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Add", out, []*Var{a, b}, nil)
	}
	return out
}

// Sub returns a − b (same shapes); ∂/∂a = g, ∂/∂b = −g.
func Sub(a, b *Var) *Var {
	return NewOp(tensor.Sub(a.Value, b.Value), func(g *tensor.Tensor) {
		a.AccumGrad(g)
		if needsGrad(b) {
			b.accumOwned(tensor.Scale(g, -1))
		}
	}, a, b)
}

// Mul returns a·b elementwise (same shapes); ∂/∂a = g·b, ∂/∂b = g·a.
func Mul(a, b *Var) *Var {
	return NewOp(tensor.Mul(a.Value, b.Value), func(g *tensor.Tensor) {
		if needsGrad(a) {
			a.accumOwned(tensor.Mul(g, b.Value))
		}
		if needsGrad(b) {
			b.accumOwned(tensor.Mul(g, a.Value))
		}
	}, a, b)
}

// Div returns a/b elementwise (same shapes); ∂/∂a = g/b, ∂/∂b = −g·a/b².
func Div(a, b *Var) *Var {
	y := tensor.Div(a.Value, b.Value)
	return NewOp(y, func(g *tensor.Tensor) {
		if needsGrad(a) {
			a.accumOwned(tensor.Div(g, b.Value))
		}
		if needsGrad(b) {
			// −g·a/b² = −g·y/b, reusing the forward quotient.
			b.accumOwned(zip3(g, y, b.Value, func(d, g, y, b []float32) {
				for i := range d {
					d[i] = -g[i] * y[i] / b[i]
				}
			}))
		}
	}, a, b)
}

// Scale returns s·x; ∂/∂x = s·g.
func Scale(x *Var, s float32) *Var {
	return NewOp(tensor.Scale(x.Value, s), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Scale(g, s))
	}, x)
}

// Neg returns −x.
func Neg(x *Var) *Var { return Scale(x, -1) }

// AddScalar returns x + s; ∂/∂x = g.
func AddScalar(x *Var, s float32) *Var {
	return NewOp(tensor.AddScalar(x.Value, s), func(g *tensor.Tensor) {
		x.AccumGrad(g)
	}, x)
}

// Square returns x² elementwise; ∂/∂x = 2x·g.
func Square(x *Var) *Var {
	return NewOp(tensor.Mul(x.Value, x.Value), func(g *tensor.Tensor) {
		x.accumOwned(zip2(g, x.Value, func(d, g, x []float32) {
			for i := range d {
				d[i] = 2 * x[i] * g[i]
			}
		}))
	}, x)
}

// AddChannel returns x + b with b[C] broadcast over every axis of x but the
// channel axis 1 (a bias); ∂/∂x = g, ∂/∂b = Σ_{n,h,w} g.
func AddChannel(x, b *Var) *Var {
	return NewOp(tensor.AddChannel(x.Value, b.Value), func(g *tensor.Tensor) {
		x.AccumGrad(g)
		if needsGrad(b) {
			b.accumOwned(tensor.SumChannel(g))
		}
	}, x, b)
}

// MulChannel returns x·s with s[C] broadcast like AddChannel;
// ∂/∂x = g·s (broadcast), ∂/∂s = Σ_{n,h,w} g·x.
func MulChannel(x, s *Var) *Var {
	return NewOp(tensor.MulChannel(x.Value, s.Value), func(g *tensor.Tensor) {
		if needsGrad(x) {
			x.accumOwned(tensor.MulChannel(g, s.Value))
		}
		if needsGrad(s) {
			s.accumOwned(tensor.SumChannel(tensor.Mul(g, x.Value)))
		}
	}, x, s)
}

// Exp returns eˣ; ∂/∂x = g·eˣ (the forward value).
func Exp(x *Var) *Var {
	y := tensor.Exp(x.Value)
	return NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(tensor.Mul(g, y))
	}, x)
}

// Log returns ln x; ∂/∂x = g/x.
func Log(x *Var) *Var {
	return NewOp(tensor.Log(x.Value), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Div(g, x.Value))
	}, x)
}

// Tanh returns tanh x; ∂/∂x = g·(1 − tanh²x).
func Tanh(x *Var) *Var {
	y := tensor.Tanh(x.Value)
	return NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(zip2(g, y, func(d, g, y []float32) {
			for i := range d {
				d[i] = g[i] * (1 - y[i]*y[i])
			}
		}))
	}, x)
}

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ); ∂/∂x = g·σ(x)(1 − σ(x)).
func Sigmoid(x *Var) *Var {
	y := tensor.Sigmoid(x.Value)
	out := NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(zip2(g, y, func(d, g, y []float32) {
			for i := range d {
				d[i] = g[i] * y[i] * (1 - y[i])
			}
		}))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Sigmoid", out, []*Var{x}, nil)
	}
	return out
}

// Softplus returns ln(1+eˣ); ∂/∂x = g·σ(x).
func Softplus(x *Var) *Var {
	return NewOp(tensor.Softplus(x.Value), func(g *tensor.Tensor) {
		x.accumOwned(tensor.Mul(g, tensor.Sigmoid(x.Value)))
	}, x)
}

// Relu returns max(x, 0); ∂/∂x = g where x > 0, else 0 (PyTorch's choice
// at the kink x = 0).
func Relu(x *Var) *Var {
	y := tensor.Relu(x.Value)
	out := NewOp(y, func(g *tensor.Tensor) {
		// y > 0 exactly where x > 0; reading y keeps x's buffer out of the
		// backward pass (an in-place-friendly choice, as in PyTorch).
		x.accumOwned(zip2(g, y, reluMask))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Relu", out, []*Var{x}, nil)
	}
	return out
}

// reluMask sets d = g where y > 0 and 0 elsewhere without branches: on
// activations the branch is a coin flip, and mispredictions cost more than
// the arithmetic. For the int32 bit pattern b of y, (−b & ^b) is negative
// exactly when b > 0 (0, −0, negatives and negative NaNs give a
// non-negative value), so its arithmetic shift by 31 is an all-ones mask
// for y > 0 and zero otherwise. The slices are reinterpreted as integers
// (same size, same length) so the loop never moves values between float
// and integer registers; that makes it as fast as a plain multiply.
func reluMask(d, g, y []float32) {
	n := len(d)
	du := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(d))), n)
	gu := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(g[:n]))), n)
	yu := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(y[:n]))), n)
	for i := range du {
		b := yu[i]
		du[i] = gu[i] & uint32((-b&^b)>>31)
	}
}

// LeakyRelu returns x for x > 0 and slope·x otherwise; ∂/∂x = g or slope·g.
func LeakyRelu(x *Var, slope float32) *Var {
	return NewOp(tensor.LeakyRelu(x.Value, slope), func(g *tensor.Tensor) {
		x.accumOwned(zip2(g, x.Value, func(d, g, x []float32) {
			for i := range d {
				if x[i] > 0 {
					d[i] = g[i]
				} else {
					d[i] = slope * g[i]
				}
			}
		}))
	}, x)
}

// zipGrain is the smallest chunk worth its own goroutine in zip loops.
const zipGrain = 1 << 15

// zip2 returns a new tensor shaped like a, filled chunk by chunk (in
// parallel for large tensors) by k(dst, a, b). dst starts zeroed.
func zip2(a, b *tensor.Tensor, k func(dst, a, b []float32)) *tensor.Tensor {
	if len(a.Data) != len(b.Data) {
		panic(fmt.Sprintf("autograd: internal shape mismatch %v vs %v", a.Shape, b.Shape))
	}
	d := tensor.NewUninit(a.Shape...) // the chunks write every element
	chunks(len(d.Data), func(s, e int) { k(d.Data[s:e], a.Data[s:e], b.Data[s:e]) })
	return d
}

// zip3 is zip2 with three operands.
func zip3(a, b, c *tensor.Tensor, k func(dst, a, b, c []float32)) *tensor.Tensor {
	if len(a.Data) != len(b.Data) || len(a.Data) != len(c.Data) {
		panic(fmt.Sprintf("autograd: internal shape mismatch %v, %v, %v", a.Shape, b.Shape, c.Shape))
	}
	d := tensor.NewLike(a)
	chunks(len(d.Data), func(s, e int) { k(d.Data[s:e], a.Data[s:e], b.Data[s:e], c.Data[s:e]) })
	return d
}

// chunks runs fn over [0,n) in pieces of at least zipGrain elements.
func chunks(n int, fn func(s, e int)) {
	pieces := n / zipGrain
	if pieces <= 1 {
		fn(0, n)
		return
	}
	tensor.ParallelFor(pieces, func(p0, p1 int) {
		s := p0 * n / pieces
		e := p1 * n / pieces
		fn(s, e)
	})
}
