package joint

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/seg"
)

// BenchmarkGradients times one joint step's forward and backward passes
// (no optimizer update) on 8 road-sized 128×256 images with the tiny seg
// preset and the denseflow-tiny flow, 16..64-pixel patches.
func BenchmarkGradients(b *testing.B) {
	cfg, err := seg.PresetConfig("tiny", 13)
	if err != nil {
		b.Fatal(err)
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	fc, _ := flow.Preset("denseflow-tiny")
	f, err := flow.New(fc, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		b.Fatal(err)
	}
	images, labels := randomBatch(8, 128, 256, 13, 3)
	for _, mode := range []string{"joint-flow", "frozen-flow", "noise", "none"} {
		b.Run(mode, func(b *testing.B) {
			o := &Objective{Classifier: m, Sizer: PatchSizer{Min: 16, Max: 64}, Lambda: 0.03, NumClasses: 13, Norm: testNorm}
			switch mode {
			case "joint-flow":
				o.Negatives = &FlowNegatives{Flow: f, Temperature: 1, Norm: testNorm}
				o.Flow = f
			case "frozen-flow":
				o.Negatives = &FlowNegatives{Flow: f, Temperature: 1, Norm: testNorm}
			case "noise":
				o.Negatives = &NoiseNegatives{Norm: testNorm}
			}
			rng := rand.New(rand.NewPCG(4, 4))
			for b.Loop() {
				if _, err := o.Gradients(images, labels, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
