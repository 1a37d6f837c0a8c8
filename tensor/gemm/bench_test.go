package gemm_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

type benchShape struct {
	transA, transB bool
	m, n, k        int
}

func (s benchShape) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s,m=%d,n=%d,k=%d", t(s.transA), t(s.transB), s.m, s.n, s.k)
}

// BenchmarkSgemm times square products and the shapes conv2d produces
// (im2col forward NN, weight gradient NT, input gradient TN), for the
// default (assembly) kernel and the pure-Go one. GFLOP/s counts 2·m·n·k.
func BenchmarkSgemm(b *testing.B) {
	shapes := []benchShape{
		{false, false, 64, 64, 64},
		{false, false, 256, 256, 256},
		{false, false, 1024, 1024, 1024},
		{false, false, 64, 4096, 576},
		{false, true, 64, 576, 4096},
		{true, false, 576, 4096, 64},
	}
	for _, s := range shapes {
		rng := rand.New(rand.NewPCG(1, 2))
		a := randSlice(rng, s.m*s.k)
		bb := randSlice(rng, s.k*s.n)
		c := make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		name := fmt.Sprintf("m=%d,n=%d,k=%d", s.m, s.n, s.k)
		if s.transA || s.transB {
			name = s.String()
		}
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		b.Run(name+"/asm", func(b *testing.B) {
			for b.Loop() {
				gemm.Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		if s.m*s.n*s.k > 256*256*256 {
			continue // the pure-Go kernel takes seconds per 1024³ product
		}
		b.Run(name+"/generic", func(b *testing.B) {
			for b.Loop() {
				gemm.SgemmGeneric(runtime.GOMAXPROCS(0), s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}
