package bench

import (
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// gemm mirrors torch_reference.py's gemm workload: the product of two random
// 1024×1024 float32 matrices, median of 20 timed runs after 3 warm-ups.
func init() {
	register("gemm", func() (map[string]any, error) {
		const n = 1024
		rng := rand.New(rand.NewPCG(0, 0))
		a := make([]float32, n*n)
		b := make([]float32, n*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
			b[i] = float32(rng.NormFloat64())
		}
		c := make([]float32, n*n)
		ms := MedianMS(func() {
			gemm.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n)
		}, 3, 20)
		return map[string]any{"ms": ms, "gflops": 2 * n * n * n / ms / 1e6}, nil
	})
}
