package autograd

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// MatMul is the matrix product a[m,k]·b[k,n]. Its VJPs are the two
// transposed products ∂L/∂a = g·bᵀ and ∂L/∂b = aᵀ·g, computed by gemm with
// transposition flags so no transposed copy is materialised.
func MatMul(a, b *Var) *Var {
	m, k, n := matDims("MatMul", a.Value, b.Value, false)
	return NewOp(tensor.MatMul(a.Value, b.Value), func(g *tensor.Tensor) {
		if needsGrad(a) {
			ga := tensor.New(m, k)
			sgemm(false, true, m, k, n, g.Data, n, b.Value.Data, n, 0, ga.Data, k)
			a.accumOwned(ga)
		}
		if needsGrad(b) {
			gb := tensor.New(k, n)
			sgemm(true, false, k, n, m, a.Value.Data, k, g.Data, n, 0, gb.Data, n)
			b.accumOwned(gb)
		}
	}, a, b)
}

// Linear is a fully connected layer in PyTorch's layout: y = x·wᵀ + b for
// x[N,in], w[out,in] and b[out] (b may be nil).
func Linear(x, w, b *Var) *Var {
	nb, in, out := matDims("Linear", x.Value, w.Value, true)
	if b != nil && len(b.Value.Data) != out {
		panic(fmt.Sprintf("autograd.Linear: bias shape %v, want [%d]", b.Value.Shape, out))
	}
	y := tensor.New(nb, out)
	if b != nil {
		for i := 0; i < nb; i++ {
			copy(y.Data[i*out:(i+1)*out], b.Value.Data)
		}
	}
	beta := float32(0)
	if b != nil {
		beta = 1
	}
	sgemm(false, true, nb, out, in, x.Value.Data, in, w.Value.Data, in, beta, y.Data, out)
	return NewOp(y, func(g *tensor.Tensor) {
		if needsGrad(x) {
			gx := tensor.New(nb, in)
			sgemm(false, false, nb, in, out, g.Data, out, w.Value.Data, in, 0, gx.Data, in)
			x.accumOwned(gx)
		}
		if needsGrad(w) {
			gw := tensor.New(out, in)
			sgemm(true, false, out, in, nb, g.Data, out, x.Value.Data, in, 0, gw.Data, in)
			w.accumOwned(gw)
		}
		if needsGrad(b) {
			gb := tensor.New(out)
			for i := 0; i < nb; i++ {
				for j, v := range g.Data[i*out : (i+1)*out] {
					gb.Data[j] += v
				}
			}
			b.accumOwned(gb)
		}
	}, x, w, b)
}

// matDims checks two 2-D operands: a[m,k]·b[k,n], or a[m,k]·b[n,k]ᵀ when
// bTransposed.
func matDims(op string, a, b *tensor.Tensor, bTransposed bool) (m, k, n int) {
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		panic(fmt.Sprintf("autograd.%s: want 2-D operands, have %v and %v", op, a.Shape, b.Shape))
	}
	m, k = a.Shape[0], a.Shape[1]
	kb, n := b.Shape[0], b.Shape[1]
	if bTransposed {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("autograd.%s: inner dimensions differ: %v and %v", op, a.Shape, b.Shape))
	}
	return m, k, n
}

// sgemm is gemm.Sgemm with alpha 1 that tolerates empty matrices: nothing
// to compute when m or n is 0, and leading dimensions of empty operands
// are clamped to 1 as BLAS requires.
func sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gemm.Sgemm(transA, transB, m, n, k, 1, a, max(lda, 1), b, max(ldb, 1), beta, c, max(ldc, 1))
}
