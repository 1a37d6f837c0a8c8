package autograd

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// Finite-difference checks of MobileNetV3's ops: depthwise convolution
// (3×3 and 5×5, strided, dilated), hard-swish and hard-sigmoid (inputs
// kept off their kinks at ±3) and per-sample channel scaling.
func TestGradMobileOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	var cases []gradCase
	for _, p := range []struct{ k, s, pad, d int }{{3, 1, 1, 1}, {3, 2, 1, 1}, {5, 1, 2, 1}, {5, 2, 2, 1}, {3, 1, 2, 2}} {
		cases = append(cases, gradCase{name: fmt.Sprintf("Depthwise/k%d/s%d/p%d/d%d", p.k, p.s, p.pad, p.d), f: func(v []*Var) *Var {
			return DepthwiseConv2d(v[0], v[1], v[2], tensor.ConvOpts{Stride: p.s, Pad: p.pad, Dilation: p.d})
		}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 3, 7, 8), randT(rng, -1, 1, 3, 1, p.k, p.k), randT(rng, -1, 1, 3)}})
	}
	offKinks := func(shape ...int) *tensor.Tensor {
		x := randT(rng, -5, 5, shape...)
		for i, v := range x.Data {
			if math.Abs(math.Abs(float64(v))-3) < 0.1 {
				x.Data[i] = v * 0.9
			}
		}
		return x
	}
	cases = append(cases,
		gradCase{name: "Hardswish", f: func(v []*Var) *Var { return Hardswish(v[0]) }, inputs: []*tensor.Tensor{offKinks(2, 3, 4, 4)}},
		gradCase{name: "Hardsigmoid", f: func(v []*Var) *Var { return Hardsigmoid(v[0]) }, inputs: []*tensor.Tensor{offKinks(2, 3, 4, 4)}},
		gradCase{name: "ScaleChannels", f: func(v []*Var) *Var { return ScaleChannels(v[0], v[1]) },
			inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 3, 4, 5), randT(rng, 0, 1, 2, 3, 1, 1)}},
		gradCase{name: "ResizeBilinearAligned/up", f: func(v []*Var) *Var { return ResizeBilinearAligned(v[0], 9, 13) },
			inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 2, 4, 5)}},
		gradCase{name: "ResizeBilinearAligned/down", f: func(v []*Var) *Var { return ResizeBilinearAligned(v[0], 3, 1) },
			inputs: []*tensor.Tensor{randT(rng, -1, 1, 1, 2, 7, 6)}},
	)
	runGradCases(t, cases)
}

// The same ops agree with PyTorch: values and gradients of
// sum(op(...) · r) (testdata/gen_mobile_fixtures.py).
func TestMobileOpsMatchTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/mobile_ops.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []struct {
			Op               string
			OH, OW           int
			K, Stride, Pad   int
			Dilation         int
			X, W, B, S, R, Y *fixtureTensor
			GX, GW, GB, GS   *fixtureTensor
		}
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	near := func(name string, got *tensor.Tensor, want *fixtureTensor) {
		t.Helper()
		if want == nil {
			return
		}
		for i, w := range want.Data {
			if math.Abs(float64(got.Data[i]-w)) > 1e-5*(1+math.Abs(float64(w))) {
				t.Fatalf("%s[%d] = %v, PyTorch %v", name, i, got.Data[i], w)
			}
		}
	}
	for _, c := range fx.Cases {
		x := Param(c.X.tensor(), "x")
		var y *Var
		var w, b, s *Var
		switch c.Op {
		case "depthwise":
			w = Param(c.W.tensor(), "w")
			if c.B != nil {
				b = Param(c.B.tensor(), "b")
			}
			y = DepthwiseConv2d(x, w, b, tensor.ConvOpts{Stride: c.Stride, Pad: c.Pad, Dilation: c.Dilation})
		case "hardswish":
			y = Hardswish(x)
		case "hardsigmoid":
			y = Hardsigmoid(x)
		case "scale":
			s = Param(c.S.tensor(), "s")
			y = ScaleChannels(x, s)
		case "resize_aligned":
			y = ResizeBilinearAligned(x, c.OH, c.OW)
		default:
			t.Fatalf("unknown op %q", c.Op)
		}
		near(c.Op+" y", y.Value, c.Y)
		Sum(Mul(y, Const(c.R.tensor()))).Backward()
		near(c.Op+" gx", x.Grad, c.GX)
		if w != nil {
			near(c.Op+" gw", w.Grad, c.GW)
		}
		if b != nil {
			near(c.Op+" gb", b.Grad, c.GB)
		}
		if s != nil {
			near(c.Op+" gs", s.Grad, c.GS)
		}
	}
}
