package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// randomBN is an evaluation-mode BatchNorm2d with non-trivial statistics
// and affine parameters.
func randomBN(rng *rand.Rand, c int) *BatchNorm2d {
	bn := NewBatchNorm2d(c)
	for i := 0; i < c; i++ {
		bn.RunningMean.Data[i] = float32(rng.NormFloat64())
		bn.RunningVar.Data[i] = float32(0.2 + rng.Float64())
		bn.Weight.Value.Data[i] = float32(rng.NormFloat64())
		bn.Bias.Value.Data[i] = float32(rng.NormFloat64())
	}
	bn.Eps = 1e-3
	bn.SetTraining(false)
	return bn
}

// randInput returns a tensor of standard normal values.
func randInput(rng *rand.Rand, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

// assertFusedExact checks that s gives the same bits with gradients (layer
// by layer) and without (fused).
func assertFusedExact(t *testing.T, name string, s *Sequential, x *tensor.Tensor) {
	t.Helper()
	want := s.Forward(autograd.Const(x)).Value
	restore := autograd.NoGrad()
	got := s.Forward(autograd.Const(x)).Value
	restore()
	for i, v := range got.Data {
		if math.Float32bits(v) != math.Float32bits(want.Data[i]) {
			t.Fatalf("%s: y[%d] = %v, want %v", name, i, v, want.Data[i])
		}
	}
}

// Without gradients, conv + BN (+ activation) runs folded; the result is
// the layer-by-layer one within float32 rounding, for ordinary and
// depthwise convolutions, with and without a conv bias, with each
// activation, and with a layer after the fused group.
func TestSequentialFusesConvBNAct(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := randInput(rng, 2, 6, 11, 13)
	cases := map[string]*Sequential{
		"conv-bn":            NewSequential(NewConv2d(rng, 6, 5, 3, 1, 1, 1, false), randomBN(rng, 5)),
		"conv-bias-bn-relu":  NewSequential(NewConv2d(rng, 6, 5, 3, 2, 1, 1, true), randomBN(rng, 5), ReLU{}),
		"conv1x1-bn-hswish":  NewSequential(NewConv2d(rng, 6, 7, 1, 1, 0, 1, false), randomBN(rng, 7), Hardswish{}),
		"dw-bn-hswish-conv":  NewSequential(NewDepthwiseConv2d(rng, 6, 5, 2, 2, 1, false), randomBN(rng, 6), Hardswish{}, NewConv2d(rng, 6, 3, 1, 1, 0, 1, true)),
		"dw-dil-bn-relu":     NewSequential(NewDepthwiseConv2d(rng, 6, 3, 1, 2, 2, true), randomBN(rng, 6), ReLU{}),
		"relu-then-conv-bn":  NewSequential(ReLU{}, NewConv2d(rng, 6, 4, 3, 1, 1, 1, false), randomBN(rng, 4)),
		"conv-dilated-bn-rl": NewSequential(NewConv2d(rng, 6, 4, 3, 1, 4, 4, false), randomBN(rng, 4), ReLU{}),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			want := s.Forward(autograd.Const(x)).Value // gradients on: layer by layer
			restore := autograd.NoGrad()
			if !fusing() {
				t.Fatal("no fusion under NoGrad")
			}
			got := s.Forward(autograd.Const(x)).Value
			restore()
			if !tensor.SameShape(got, want) {
				t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
			}
			for i, v := range got.Data {
				if d := math.Abs(float64(v - want.Data[i])); d > 2e-5*(1+math.Abs(float64(want.Data[i]))) {
					t.Fatalf("y[%d] = %v, want %v", i, v, want.Data[i])
				}
			}
		})
	}
}

// A BN in training mode, or a tracer, keeps the layers apart.
func TestSequentialDoesNotFuseTrainingBN(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bn := randomBN(rng, 3)
	bn.SetTraining(true)
	s := NewSequential(NewConv2d(rng, 2, 3, 3, 1, 1, 1, false), bn)
	defer autograd.NoGrad()()
	if _, n := fuseConvBN(s.Layers, autograd.Const(tensor.New(1, 2, 4, 4))); n != 0 {
		t.Fatalf("fused %d layers with a training-mode BN", n)
	}
}

// BN + activation fused is the layer-by-layer result bit for bit (the same
// affine arithmetic, the same activation), in a Sequential and through
// BNAct.
func TestBNActFusedIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := randInput(rng, 2, 5, 9, 7)
	for _, act := range []Layer{ReLU{}, Hardswish{}, Tanh{}} {
		assertFusedExact(t, fmt.Sprintf("%T", act), NewSequential(randomBN(rng, 5), act), x)
	}
}

// Recycling between layers never touches the Sequential's input (even
// passed through an identity layer) nor its output, and repeated passes
// give the same result.
func TestSequentialRecyclingKeepsInputAndOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := randInput(rng, 1, 4, 9, 9)
	keep := append([]float32(nil), x.Data...)
	drop := NewDropout(rng, 0.5)
	drop.SetTraining(false)
	s := NewSequential(drop, NewConv2d(rng, 4, 6, 3, 1, 1, 1, false), randomBN(rng, 6), ReLU{},
		NewDepthwiseConv2d(rng, 6, 3, 1, 1, 1, false), randomBN(rng, 6), Hardswish{}, NewConv2d(rng, 6, 2, 1, 1, 0, 1, true))
	defer autograd.NoGrad()()
	first := s.Forward(autograd.Const(x)).Value
	want := append([]float32(nil), first.Data...)
	for pass := 0; pass < 3; pass++ {
		got := s.Forward(autograd.Const(x)).Value
		for i, v := range got.Data {
			if v != want[i] {
				t.Fatalf("pass %d: y[%d] = %v, want %v", pass, i, v, want[i])
			}
		}
	}
	for i, v := range x.Data {
		if v != keep[i] {
			t.Fatalf("input changed at %d: %v, was %v", i, v, keep[i])
		}
	}
	for i, v := range first.Data {
		if v != want[i] {
			t.Fatalf("first output changed at %d by later passes", i)
		}
	}
}

// A convolution followed directly by an activation fuses too (bit-identical:
// the same convolution, the activation applied in place).
func TestSequentialFusesConvAct(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := randInput(rng, 2, 3, 10, 12)
	assertFusedExact(t, "conv-relu-conv-hardswish",
		NewSequential(NewConv2d(rng, 3, 8, 3, 1, 1, 1, true), ReLU{}, NewConv2d(rng, 8, 4, 1, 1, 0, 1, true), Hardswish{}), x)
}

// With gradients, a Sequential's conv + ReLU runs as autograd.Conv2dReLU:
// output and parameter gradients bit for bit those of the two ops applied
// one after the other.
func TestSequentialConvReLUWithGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randInput(rng, 2, 3, 9, 10)
	c1, c2 := NewConv2d(rng, 3, 8, 3, 1, 1, 1, true), NewConv2d(rng, 8, 4, 3, 2, 1, 1, false)
	s := NewSequential(c1, ReLU{}, c2, ReLU{})
	gy := randInput(rng, 2, 4, 5, 5)
	grads := func(f func() *autograd.Var) (*tensor.Tensor, [][]float32) {
		ZeroGrad(s)
		y := f()
		autograd.Sum(autograd.Mul(y, autograd.Const(gy))).Backward()
		var g [][]float32
		for _, p := range Parameters(s) {
			g = append(g, append([]float32(nil), p.Grad.Data...))
		}
		return y.Value, g
	}
	y1, g1 := grads(func() *autograd.Var { return s.Forward(autograd.Const(x)) })
	y2, g2 := grads(func() *autograd.Var {
		return autograd.Relu(c2.Forward(autograd.Relu(c1.Forward(autograd.Const(x)))))
	})
	for i, v := range y1.Data {
		if math.Float32bits(v) != math.Float32bits(y2.Data[i]) {
			t.Fatalf("y[%d] = %v, two ops %v", i, v, y2.Data[i])
		}
	}
	for i := range g1 {
		for j, v := range g1[i] {
			if math.Float32bits(v) != math.Float32bits(g2[i][j]) {
				t.Fatalf("parameter %d gradient [%d] = %v, two ops %v", i, j, v, g2[i][j])
			}
		}
	}
}
