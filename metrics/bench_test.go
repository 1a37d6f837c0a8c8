package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchData mirrors testdata/bench_sklearn.py: N(0,1) scores, +1.5 on 5%
// anomalies, 2% void.
func benchData(n int) ([]float32, []uint8) {
	r := rand.New(rand.NewPCG(0, 0))
	s := make([]float32, n)
	l := make([]uint8, n)
	for i := range s {
		if r.Float32() < 0.05 {
			l[i] = 1
		}
		s[i] = float32(r.NormFloat64()) + 1.5*float32(l[i])
		if r.Float32() < 0.02 {
			l[i] = 255
		}
	}
	return s, l
}

var benchSizes = []int{1e6, 1e7, 1e8}

func BenchmarkExact(b *testing.B) {
	for _, n := range benchSizes {
		s, l := benchData(n)
		b.Run(fmt.Sprintf("n=%.0e", float64(n)), func(b *testing.B) {
			b.SetBytes(int64(5 * n))
			for b.Loop() {
				if _, err := Exact(s, l, 255); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
		})
	}
}

func BenchmarkStreaming(b *testing.B) {
	for _, n := range benchSizes {
		s, l := benchData(n)
		h, _ := NewKeyHistogram(DefaultKeyBits)
		b.Run(fmt.Sprintf("n=%.0e", float64(n)), func(b *testing.B) {
			b.SetBytes(int64(5 * n))
			for b.Loop() {
				h.Reset()
				if err := h.Add(s, l, 255); err != nil {
					b.Fatal(err)
				}
				if _, _, err := h.Result(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds()/1e6, "Mpix/s")
		})
	}
}

func BenchmarkExactCurve(b *testing.B) {
	s, l := benchData(1e6)
	b.SetBytes(5e6)
	for b.Loop() {
		if _, _, err := ExactCurve(s, l, 255); err != nil {
			b.Fatal(err)
		}
	}
}
