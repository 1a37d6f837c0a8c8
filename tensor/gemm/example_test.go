package gemm_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// Multiply a 2×3 matrix by the transpose of a 2×3 matrix, storing into the
// left 2×2 block of a C with row stride 3, and add the old C scaled by 0.5.
func ExampleSgemm() {
	a := []float32{
		1, 2, 3,
		4, 5, 6,
	}
	b := []float32{ // used as bᵀ, a 3×2 matrix
		1, 0, 1,
		0, 1, 0,
	}
	c := []float32{
		10, 10, -1,
		10, 10, -1,
	}
	gemm.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0.5, c, 3)
	fmt.Println(c)
	// Output: [9 7 -1 15 10 -1]
}
