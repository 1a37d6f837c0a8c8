package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// segnetRef is the segnet-ref workload of ../shared/bench/torch_reference.py
// built directly from autograd ops (no optimizer step): conv3x3 3→32,
// 32→64 stride 2, 64→64, 64→64, 64→32 (each + ReLU), bilinear ×2,
// conv3x3 32→10, pixel cross-entropy.
type segnetRef struct {
	ws, bs  []*Var
	strides []int
}

func newSegnetRef(rng *rand.Rand) *segnetRef {
	specs := [][3]int{{3, 32, 1}, {32, 64, 2}, {64, 64, 1}, {64, 64, 1}, {64, 32, 1}, {32, 10, 1}}
	m := &segnetRef{}
	for _, s := range specs {
		m.ws = append(m.ws, Param(randT(rng, -0.1, 0.1, s[1], s[0], 3, 3), "w"))
		m.bs = append(m.bs, Param(randT(rng, -0.1, 0.1, s[1]), "b"))
		m.strides = append(m.strides, s[2])
	}
	return m
}

func (m *segnetRef) forward(x *Var) *Var {
	last := len(m.ws) - 1
	for i := 0; i < last; i++ {
		x = Relu(Conv2d(x, m.ws[i], m.bs[i], tensor.ConvOpts{Stride: m.strides[i], Pad: 1}))
	}
	_, _, h, w := x.Value.NCHW()
	x = ResizeBilinear(x, 2*h, 2*w)
	return Conv2d(x, m.ws[last], m.bs[last], tensor.ConvOpts{Pad: 1})
}

func BenchmarkSegnetRef(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newSegnetRef(rng)
	x := Const(randT(rng, -1, 1, 8, 3, 64, 64))
	labels := make([]int32, 8*64*64)
	for i := range labels {
		labels[i] = int32(rng.IntN(10))
	}
	b.Run("forward-backward", func(b *testing.B) {
		for b.Loop() {
			for i := range m.ws {
				m.ws[i].ZeroGrad()
				m.bs[i].ZeroGrad()
			}
			CrossEntropy(m.forward(x), labels, -1).Backward()
		}
	})
	b.Run("forward-nograd", func(b *testing.B) {
		for b.Loop() {
			restore := NoGrad()
			m.forward(x)
			restore()
		}
	})
}

// BenchmarkReluBackward measures the ReLU VJP on a segnet-ref activation
// (8×32×64×64) with half the units active.
func BenchmarkReluBackward(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	y := tensor.Relu(randT(rng, -1, 1, 8, 32, 64, 64))
	g := randT(rng, -1, 1, 8, 32, 64, 64)
	b.SetBytes(int64(12 * len(g.Data)))
	for b.Loop() {
		zip2(g, y, reluMask)
	}
}

// BenchmarkBatchNorm2dTrain measures a training-mode forward and backward
// pass of BatchNorm2d on an 8×64×32×32 activation.
func BenchmarkBatchNorm2dTrain(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := Input(randT(rng, -1, 1, 8, 64, 32, 32), true)
	gamma, beta := Param(tensor.Full(1, 64), "weight"), Param(tensor.New(64), "bias")
	rm, rv := tensor.New(64), tensor.Full(1, 64)
	g := randT(rng, -1, 1, 8, 64, 32, 32)
	for b.Loop() {
		x.ZeroGrad()
		gamma.ZeroGrad()
		beta.ZeroGrad()
		BatchNorm2d(x, gamma, beta, rm, rv, true, 0.1, 1e-5).BackwardWith(g)
	}
}

// BenchmarkCrossEntropy measures forward and backward of the segnet-ref
// loss (8×10×64×64 logits).
func BenchmarkCrossEntropy(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	z := Input(randT(rng, -3, 3, 8, 10, 64, 64), true)
	labels := make([]int32, 8*64*64)
	for i := range labels {
		labels[i] = int32(rng.IntN(10))
	}
	for b.Loop() {
		z.ZeroGrad()
		CrossEntropy(z, labels, -1).Backward()
	}
}
