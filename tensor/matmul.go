package tensor

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// MatMul returns the matrix product a·b of 2-D tensors [m, k] and [k, n].
func MatMul(a, b *Tensor) *Tensor {
	if len(a.Shape) != 2 || len(b.Shape) != 2 || a.Shape[1] != b.Shape[0] {
		panic(fmt.Sprintf("tensor.MatMul: cannot multiply %v by %v", a.Shape, b.Shape))
	}
	m, k, n := a.Shape[0], a.Shape[1], b.Shape[1]
	c := New(m, n)
	if m == 0 || n == 0 {
		return c
	}
	gemm.Sgemm(false, false, m, n, k, 1, a.Data, max(k, 1), b.Data, max(n, 1), 0, c.Data, n)
	return c
}
