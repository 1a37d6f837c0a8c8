package flow

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// Graph helpers composed from autograd ops. Per-image quantities (log-dets,
// log-densities) are [N,1] Vars so that they can be summed layer by layer.

// logSqrt2Pi is log √(2π), the per-dimension constant of a Gaussian density.
var logSqrt2Pi = 0.5 * math.Log(2*math.Pi)

// sumPerSample returns Σ over all but the first axis of x as [N,1]. It is a
// matrix product with a ones vector, so its gradient comes from MatMul.
func sumPerSample(x *autograd.Var) *autograd.Var {
	n := x.Value.Shape[0]
	d := len(x.Value.Data) / n
	return autograd.MatMul(autograd.Reshape(x, n, d), autograd.Const(tensor.Full(1, d, 1)))
}

// broadcastN repeats a one-element Var (shape [1] or [1,1]) as [N,1].
func broadcastN(s *autograd.Var, n int) *autograd.Var {
	return autograd.MatMul(autograd.Const(tensor.Full(1, n, 1)), autograd.Reshape(s, 1, 1))
}

// diag returns the n×n matrix with v[n] on its diagonal: the outer product
// 1·vᵀ (every row equals v) masked by the identity.
func diag(v *autograd.Var) *autograd.Var {
	n := v.Value.Len()
	rows := autograd.MatMul(autograd.Const(tensor.Full(1, n, 1)), autograd.Reshape(v, 1, n))
	return autograd.Mul(rows, autograd.Const(eye(n)))
}

func eye(n int) *tensor.Tensor {
	t := tensor.New(n, n)
	for i := 0; i < n; i++ {
		t.Data[i*n+i] = 1
	}
	return t
}

// matInverse returns A⁻¹ for a square A [n,n], computed in float64 by LU
// with triangular solves. Its vector–Jacobian product is the standard
// ∂L/∂A = −A⁻ᵀ·(∂L/∂A⁻¹)·A⁻ᵀ. There is no engine op for a matrix inverse,
// so this one small op is defined here with autograd.NewOp.
func matInverse(a *autograd.Var) *autograd.Var {
	n := a.Value.Shape[0]
	if a.Value.Dims() != 2 || a.Value.Shape[1] != n {
		panic(fmt.Sprintf("flow.matInverse: want a square matrix, have %v", a.Value.Shape))
	}
	a64 := make([]float64, n*n)
	for i, v := range a.Value.Data {
		a64[i] = float64(v)
	}
	inv, ok := invert(a64, n)
	if !ok {
		panic("flow.matInverse: singular matrix")
	}
	out := tensor.New(n, n)
	for i, v := range inv {
		out.Data[i] = float32(v)
	}
	return autograd.NewOp(out, func(g *tensor.Tensor) {
		// t = A⁻ᵀ·G, then gA = −t·A⁻ᵀ.
		t := make([]float64, n*n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += inv[k*n+i] * float64(g.Data[k*n+j])
				}
				t[i*n+j] = s
			}
		}
		ga := tensor.New(n, n)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for k := 0; k < n; k++ {
					s += t[i*n+k] * inv[j*n+k]
				}
				ga.Data[i*n+j] = float32(-s)
			}
		}
		a.AccumGrad(ga)
	}, a)
}

// gaussian is a learned per-channel diagonal Gaussian base distribution
// N(mean_c, exp(logs_c)²), shared over spatial positions so that it can be
// sampled at any resolution.
type gaussian struct {
	mean, logs *autograd.Var // [C]
}

func newGaussian(c int, name string) *gaussian {
	return &gaussian{
		mean: autograd.Param(tensor.New(c), name+".mean"),
		logs: autograd.Param(tensor.New(c), name+".logs"),
	}
}

func (g *gaussian) params() []*autograd.Var { return []*autograd.Var{g.mean, g.logs} }

// logProb returns Σ_{c,h,w} log N(z; μ_c, σ_c) per image as [N,1]:
// −½((z−μ)/σ)² − log σ − log √(2π) summed over the image.
func (g *gaussian) logProb(z *autograd.Var) *autograd.Var {
	n, c, h, w := z.Value.NCHW()
	u := autograd.MulChannel(autograd.AddChannel(z, autograd.Neg(g.mean)), autograd.Exp(autograd.Neg(g.logs)))
	quad := sumPerSample(autograd.Scale(autograd.Square(u), -0.5))
	logNorm := broadcastN(autograd.Scale(autograd.Sum(g.logs), float32(h*w)), n)
	return autograd.AddScalar(autograd.Sub(quad, logNorm), float32(-float64(c*h*w)*logSqrt2Pi))
}

// sample draws z = μ + T·σ·ε, ε ~ N(0, I) from eps (already filled with
// standard normal draws) as a differentiable function of μ and log σ.
func (g *gaussian) sample(eps *tensor.Tensor, temperature float32) *autograd.Var {
	e := autograd.Const(tensor.Scale(eps, temperature))
	return autograd.AddChannel(autograd.MulChannel(e, autograd.Exp(g.logs)), g.mean)
}
