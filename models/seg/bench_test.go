package seg

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// benchBatch is a road-sized training batch: 8 images of 128×256, 13
// classes.
func benchBatch() (*tensor.Tensor, []int32) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randImages(rng, 8, 128, 256)
	labels := make([]int32, 8*128*256)
	for i := range labels {
		labels[i] = int32(rng.IntN(13))
	}
	return x, labels
}

// BenchmarkTrainStep times one full training step of each preset (forward,
// cross-entropy, backward, Adam) on a road batch; reports images/s.
func BenchmarkTrainStep(b *testing.B) {
	for _, name := range []string{"tiny", "small"} {
		b.Run(name, func(b *testing.B) {
			cfg, _ := PresetConfig(name, 13)
			m, _ := New(cfg, rand.New(rand.NewPCG(1, 2)))
			opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-3, nn.Parameters(m)...)}, optim.DefaultAdamConfig())
			if err != nil {
				b.Fatal(err)
			}
			x, labels := benchBatch()
			xv := autograd.Const(x)
			b.ResetTimer()
			for range b.N {
				opt.ZeroGrad()
				autograd.CrossEntropy(m.Forward(xv), labels, 255).Backward()
				opt.Step()
			}
			b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}

// BenchmarkLogits times eval-mode inference of the tiny preset on a road
// batch.
func BenchmarkLogits(b *testing.B) {
	cfg, _ := PresetConfig("tiny", 13)
	m, _ := New(cfg, rand.New(rand.NewPCG(1, 2)))
	x, _ := benchBatch()
	b.ResetTimer()
	for range b.N {
		if _, err := m.Logits(x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "img/s")
}
