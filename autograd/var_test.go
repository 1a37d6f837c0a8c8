package autograd

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

func TestBackwardDeepChain(t *testing.T) {
	// 20000 nodes: the iterative topological sort must not overflow, and
	// the chain rule multiplies the 0.9999 factors.
	x := Param(tensor.FromData([]float32{1}, 1), "x")
	y := x
	for i := 0; i < 20000; i++ {
		y = Scale(y, 0.9999)
	}
	y.Backward()
	want := 0.1353 // 0.9999^20000 ≈ e^-2
	if got := float64(x.Grad.Data[0]); got < want-1e-3 || got > want+1e-3 {
		t.Fatalf("grad %v, want ≈%v", got, want)
	}
}

func TestBackwardDiamond(t *testing.T) {
	// x feeds two branches that meet again: z = (2x)·(x+1); dz/dx = 4x + 2.
	x := Param(tensor.FromData([]float32{3}, 1), "x")
	z := Mul(Scale(x, 2), AddScalar(x, 1))
	z.Backward()
	if x.Grad.Data[0] != 14 {
		t.Fatalf("grad %v, want 14", x.Grad.Data[0])
	}
}

func TestBackwardMisuse(t *testing.T) {
	mustPanic := func(name, want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(r.(string), want) {
				t.Errorf("%s: panic %v, want one mentioning %q", name, r, want)
			}
		}()
		f()
	}
	p := Param(tensor.New(2), "p")
	mustPanic("non-scalar", "non-scalar", func() { Scale(p, 2).Backward() })
	mustPanic("constant", "requires no gradient", func() { Scale(Const(tensor.New(1)), 2).Backward() })
	mustPanic("non-leaf", "non-leaf", func() { Scale(p, 2).SetRequiresGrad(false) })
}

func TestFrozenParamGetsNoGrad(t *testing.T) {
	w := Param(tensor.Full(1, 2), "w")
	v := Param(tensor.Full(2, 2), "v")
	w.SetRequiresGrad(false)
	Sum(Mul(w, v)).Backward()
	if w.Grad != nil || v.Grad == nil || v.Grad.Data[0] != 1 {
		t.Fatalf("frozen w grad %v, v grad %v", w.Grad, v.Grad)
	}
	// Detach stops the gradient too.
	v.ZeroGrad()
	Sum(Mul(v.Detach(), Square(v))).Backward()
	if v.Grad.Data[0] != 2*2*2 { // d/dv of c·v² with c = v = 2: 2·c·v
		t.Fatalf("grad through detached factor %v, want 8", v.Grad.Data[0])
	}
}

func TestGradCheckComposite(t *testing.T) {
	// A small network end to end, checked as one function of its input and
	// of all its parameters.
	rng := rand.New(rand.NewPCG(12, 12))
	labels := []int32{0, 2, 1, 255, 1, 0, 2, 2, 255, 0, 1, 1, 0, 2, 1, 0}
	rm, rv := tensor.New(3), tensor.Full(1, 3)
	f := func(v []*Var) *Var {
		h := Conv2d(v[0], v[1], v[2], tensor.ConvOpts{Pad: 1})
		h = Tanh(BatchNorm2d(h, v[3], v[4], rm.Clone(), rv.Clone(), true, 0.1, 1e-5))
		d := AvgPool2d(h, 2, 2, 0)
		u := ResizeBilinear(d, 4, 4)
		c := Concat(h, u)
		logits := Conv2d(c, v[5], nil, tensor.ConvOpts{})
		return CrossEntropy(logits, labels, 255)
	}
	inputs := []*tensor.Tensor{
		randT(rng, -1, 1, 1, 2, 4, 4), // image
		randT(rng, -1, 1, 3, 2, 3, 3), randT(rng, -0.1, 0.1, 3),
		randT(rng, 0.5, 1.5, 3), randT(rng, -0.5, 0.5, 3),
		randT(rng, -1, 1, 3, 6, 1, 1),
	}
	if err := GradCheck(f, inputs, 1e-2, 1e-3); err != nil {
		t.Fatal(err)
	}
}

func TestGradCheckRejectsBadArguments(t *testing.T) {
	f := func(v []*Var) *Var { return Sum(v[0]) }
	if GradCheck(f, []*tensor.Tensor{tensor.New(2)}, 0, 1e-3) == nil {
		t.Error("eps 0 accepted")
	}
	constant := func(v []*Var) *Var { return Const(tensor.New(1)) }
	if GradCheck(constant, []*tensor.Tensor{tensor.New(2)}, 1e-2, 1e-3) == nil {
		t.Error("output without a graph accepted")
	}
}

func TestGradCheckCatchesInputMutation(t *testing.T) {
	f := func(v []*Var) *Var {
		v[0].Value.Data[0] = 42
		return Sum(v[0])
	}
	err := GradCheck(f, []*tensor.Tensor{tensor.New(2)}, 1e-2, 1e-3)
	if err == nil || !strings.Contains(err.Error(), "modified input") {
		t.Fatalf("got %v", err)
	}
}
