package ood

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// BenchmarkJS is the js-score workload of ../shared/bench/torch_reference.py:
// 1 x 19 x 1024 x 2048 logits, T = 2.
func BenchmarkJS(b *testing.B) {
	r := rand.New(rand.NewPCG(0, 0))
	l := tensor.FromData(randLogits(r, 1, 19, 1024*2048, 3), 1, 19, 1024, 2048)
	dst := make([]float32, 1024*2048)
	for _, impl := range []string{"asm", "generic"} {
		b.Run("19x1024x2048/"+impl, func(b *testing.B) {
			if impl == "asm" && !useAVX2 {
				b.Skip("no AVX2")
			}
			b.SetBytes(int64(4 * len(l.Data)))
			for b.Loop() {
				if impl == "asm" {
					_ = JSDivergenceInto(dst, l.Data, 1, 19, 1024*2048, 2, 1)
				} else {
					forPixels(1, 1024*2048, func(_, i0, i1 int) {
						jsGeneric(dst[i0:i1], l.Data[i0:], 1024*2048, 19, i1-i0, 0.5, 1)
					})
				}
			}
			b.ReportMetric(float64(1024*2048*b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
		})
	}
}

// BenchmarkScores times every Kind on 19-class logits of 1e6 and 1e7 pixels
// (1e8 pixels would need 7.6 GB of logits; throughput is flat beyond the
// caches anyway).
func BenchmarkScores(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const k = 19
	for _, n := range []int{1e6, 1e7} {
		l := randLogits(r, 1, k, n, 3)
		dst := make([]float32, n)
		for kind := Kind(0); kind < numKinds; kind++ {
			if n > 1e6 && kind != NFlowJS && kind != MSP {
				continue
			}
			b.Run(fmt.Sprintf("%v/n=%.0e", kind, float64(n)), func(b *testing.B) {
				b.SetBytes(int64(4 * k * n))
				for b.Loop() {
					if err := ComputeInto(kind, dst, l, 1, k, n, 2); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
			})
		}
	}
}
