package flow

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
)

// benchFlow builds a preset with actnorm initialised on random data.
func benchFlow(b *testing.B, preset string) *Flow {
	b.Helper()
	cfg, err := Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	if _, err := f.LogProb(autograd.Const(randTensor(rng, 0.2, 4, 3, 32, 32)), rng); err != nil {
		b.Fatal(err)
	}
	return f
}

var benchPresets = []string{"realnvp-tiny", "denseflow-tiny"}

// BenchmarkSample64 measures sampling throughput at 64×64 without a graph
// (the pasting path of joint training keeps the graph; see
// BenchmarkSample64Grad).
func BenchmarkSample64(b *testing.B) {
	for _, p := range benchPresets {
		b.Run(p, func(b *testing.B) {
			f := benchFlow(b, p)
			rng := rand.New(rand.NewPCG(3, 3))
			defer autograd.NoGrad()()
			const n = 8
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.Sample(n, 64, 64, 0.8, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkSample64Grad measures sampling at 64×64 plus the backward pass
// into the flow's parameters (what joint training pays per negative patch).
func BenchmarkSample64Grad(b *testing.B) {
	for _, p := range benchPresets {
		b.Run(p, func(b *testing.B) {
			f := benchFlow(b, p)
			rng := rand.New(rand.NewPCG(3, 3))
			const n = 8
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x, err := f.Sample(n, 64, 64, 0.8, rng)
				if err != nil {
					b.Fatal(err)
				}
				autograd.Mean(x).Backward()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkLogProb32 measures log-likelihood evaluation of 32×32 crops
// (batch 32) without a graph.
func BenchmarkLogProb32(b *testing.B) {
	for _, p := range benchPresets {
		b.Run(p, func(b *testing.B) {
			f := benchFlow(b, p)
			rng := rand.New(rand.NewPCG(4, 4))
			x := autograd.Const(randTensor(rng, 0.2, 32, 3, 32, 32))
			defer autograd.NoGrad()()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.LogProb(x, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkTrainStep32 is one maximum-likelihood step (forward + backward)
// on a batch of 32 crops of 32×32, the pre-training workload.
func BenchmarkTrainStep32(b *testing.B) {
	for _, p := range benchPresets {
		b.Run(p, func(b *testing.B) {
			f := benchFlow(b, p)
			rng := rand.New(rand.NewPCG(5, 5))
			x := autograd.Const(randTensor(rng, 0.2, 32, 3, 32, 32))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lp, err := f.LogProb(x, rng)
				if err != nil {
					b.Fatal(err)
				}
				BitsPerDim(lp, 3*32*32).Backward()
			}
			b.ReportMetric(float64(32*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
