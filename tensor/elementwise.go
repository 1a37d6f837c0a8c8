package tensor

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/internal/cephes"
)

// elemGrain is the smallest number of elements worth a goroutine in the
// elementwise loops (~10 µs of work for the cheap ones).
const elemGrain = 1 << 15

// unary applies kernel to x chunk by chunk (in parallel for large tensors)
// and returns the new tensor. Kernels work on slices so that the per-element
// cost is a loop iteration, not a function call.
func unary(x *Tensor, kernel func(dst, src []float32)) *Tensor {
	y := NewLike(x)
	parallelGrain(len(x.Data), elemGrain, func(s, e int) { kernel(y.Data[s:e], x.Data[s:e]) })
	return y
}

// binaryOp applies kernel to same-shaped a and b and returns the new tensor.
func binaryOp(op string, a, b *Tensor, kernel func(dst, x, y []float32)) *Tensor {
	MustSameShape(op, a, b)
	c := NewLike(a)
	parallelGrain(len(a.Data), elemGrain, func(s, e int) { kernel(c.Data[s:e], a.Data[s:e], b.Data[s:e]) })
	return c
}

// Add returns a + b elementwise; the shapes must be equal.
func Add(a, b *Tensor) *Tensor {
	return binaryOp("Add", a, b, addSlice)
}

// Sub returns a - b elementwise; the shapes must be equal.
func Sub(a, b *Tensor) *Tensor {
	return binaryOp("Sub", a, b, subSlice)
}

// Mul returns a * b elementwise (Hadamard product); the shapes must be equal.
func Mul(a, b *Tensor) *Tensor {
	return binaryOp("Mul", a, b, mulSlice)
}

// Div returns a / b elementwise; the shapes must be equal.
func Div(a, b *Tensor) *Tensor {
	return binaryOp("Div", a, b, divSlice)
}

// Scale returns s·a.
func Scale(a *Tensor, s float32) *Tensor {
	return unary(a, func(d, x []float32) { scaleSlice(d, x, s) })
}

// AddScalar returns a + s.
func AddScalar(a *Tensor, s float32) *Tensor {
	return unary(a, func(d, x []float32) { addScalarSlice(d, x, s) })
}

// AddInPlace sets dst += src; the shapes must be equal.
func AddInPlace(dst, src *Tensor) {
	MustSameShape("AddInPlace", dst, src)
	parallelGrain(len(dst.Data), elemGrain, func(s, e int) { axpy(1, src.Data[s:e], dst.Data[s:e]) })
}

// Axpy sets y += alpha·x; the shapes must be equal.
func Axpy(alpha float32, x, y *Tensor) {
	MustSameShape("Axpy", x, y)
	parallelGrain(len(y.Data), elemGrain, func(s, e int) { axpy(alpha, x.Data[s:e], y.Data[s:e]) })
}

// fillf sets every element of dst to v. Past a few elements it copies the
// filled prefix onto the rest, doubling each time, so the work is done by
// the runtime's vectorized memmove instead of a scalar loop.
func fillf(dst []float32, v float32) {
	n := min(len(dst), 16)
	for i := range dst[:n] {
		dst[i] = v
	}
	for n < len(dst) {
		n += copy(dst[n:], dst[:n])
	}
}

// Exp returns eˣ elementwise.
func Exp(x *Tensor) *Tensor {
	return unary(x, expSlice)
}

// Log returns the natural logarithm elementwise (−Inf at 0, NaN below),
// in float32 arithmetic (see logf).
func Log(x *Tensor) *Tensor {
	return unary(x, logSlice)
}

// Tanh returns the hyperbolic tangent elementwise.
func Tanh(x *Tensor) *Tensor {
	return unary(x, func(d, s []float32) {
		d = d[:len(s)]
		for i, v := range s {
			d[i] = float32(math.Tanh(float64(v)))
		}
	})
}

// Sigmoid returns 1/(1+e⁻ˣ) elementwise, computed without overflow and
// without data-dependent branches as n/(1+e) with e = e^−|x| and n = 1 for
// x >= 0, n = e for x < 0.
func Sigmoid(x *Tensor) *Tensor {
	return unary(x, sigmoidSlice)
}

// sigmoidSlice is Sigmoid on a slice: −|x| with a sign-bit OR, the vector
// exponential, then the numerator picked by a mask built from the sign bit.
func sigmoidSlice(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = math.Float32frombits(math.Float32bits(v) | 1<<31)
	}
	expSlice(dst, dst)
	for i, v := range src {
		e := dst[i]
		neg := -(math.Float32bits(v) >> 31) // all ones when x < 0
		num := math.Float32frombits(math.Float32bits(1)&^neg | math.Float32bits(e)&neg)
		dst[i] = num / (1 + e)
	}
}

// softplusThreshold is PyTorch's default: above it softplus(x) is x to
// float32 precision and PyTorch returns x itself.
const softplusThreshold = 20

// Softplus returns log(1+eˣ) elementwise (x itself above 20, as PyTorch's
// default threshold).
func Softplus(x *Tensor) *Tensor {
	return unary(x, func(d, s []float32) {
		d = d[:len(s)]
		for i, v := range s {
			if v > softplusThreshold {
				d[i] = v
			} else {
				d[i] = float32(math.Log1p(math.Exp(float64(v))))
			}
		}
	})
}

// Relu returns max(x, 0) elementwise; NaN stays NaN as in PyTorch.
func Relu(x *Tensor) *Tensor {
	return unary(x, reluSlice)
}

// LeakyRelu returns x for x > 0 and slope·x otherwise.
func LeakyRelu(x *Tensor, slope float32) *Tensor {
	return unary(x, func(d, s []float32) {
		d = d[:len(s)]
		for i, v := range s {
			d[i] = max(v, 0) + slope*min(v, 0) // branch-free: signs are random
		}
	})
}

// Map returns f applied to every element. Large tensors are processed in
// parallel, so f must be safe to call from several goroutines at once
// (pure functions are).
func Map(x *Tensor, f func(float32) float32) *Tensor {
	if f == nil {
		panic(fmt.Sprintf("tensor.Map: nil function for shape %v", x.Shape))
	}
	return unary(x, func(d, s []float32) {
		d = d[:len(s)]
		for i, v := range s {
			d[i] = f(v)
		}
	})
}

// The range of expf's finite, non-zero results; the Cephes constants and
// polynomial are package internal/cephes, shared with ood.
const (
	expHi = 88.72283905206835 // ln(MaxFloat32)
	expLo = -103.97207708     // below this eˣ rounds to 0 in float32
)

// expf is eˣ in float32 arithmetic (Cephes expf, relative error about
// 1e-7), about twice as fast as converting to math.Exp. It is exact at the
// edges: +Inf above ln(MaxFloat32), 0 far below, NaN for NaN.
func expf(x float32) float32 {
	switch {
	case x != x:
		return x
	case x > expHi:
		return float32(math.Inf(1))
	case x < expLo:
		return 0
	}
	// x = n·ln2 + r with |r| <= ln2/2, then eˣ = 2ⁿ·eʳ.
	fn := float32(math.Floor(float64(x*cephes.Log2e + 0.5)))
	r := x - fn*cephes.LnC1 - fn*cephes.LnC2
	p := cephes.ExpCore(r)
	// n ∈ [−150, 128] does not fit a float32 exponent, n/2 does: scale by
	// 2^n1 (exact) then 2^n2, which rounds once if the result is subnormal.
	n := int32(fn)
	n1 := n >> 1
	n2 := n - n1
	return p * math.Float32frombits(uint32(n1+127)<<23) * math.Float32frombits(uint32(n2+127)<<23)
}

// expSliceGeneric sets dst[i] = expf(src[i]): the reference loop of the
// vector kernel.
func expSliceGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = expf(v)
	}
}
