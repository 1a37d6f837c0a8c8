package ood

import (
	"math"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// odinLoss is Σ_p −log softmax(l_p(x)/T)_{pred_p} in float64 for fixed
// predictions (ODIN's objective, negated).
func odinLoss(t *testing.T, m Model, x *tensor.Tensor, pred []int32, T float64) float64 {
	t.Helper()
	logits, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	n, k, h, w := logits.NCHW()
	hw := h * w
	var loss float64
	for img := 0; img < n; img++ {
		for p := 0; p < hw; p++ {
			mx := math.Inf(-1)
			for c := 0; c < k; c++ {
				mx = math.Max(mx, float64(logits.Data[(img*k+c)*hw+p])/T)
			}
			var s float64
			for c := 0; c < k; c++ {
				s += math.Exp(float64(logits.Data[(img*k+c)*hw+p])/T - mx)
			}
			y := int(pred[img*hw+p])
			loss -= float64(logits.Data[(img*k+y)*hw+p])/T - mx - math.Log(s)
		}
	}
	return loss
}

// The input gradient ODIN follows matches central finite differences of
// the summed cross-entropy, and the perturbation moves every input against
// it (so the max softmax rises), at a moderate and at the paper's
// temperature.
func TestODINPerturbationMatchesFiniteDifferences(t *testing.T) {
	m := newFakeNet(7, 5, 0)
	x := randImages(3, 2, 6, 8)
	logits, _ := m.Logits(x)
	pred, _ := Argmax(logits)
	for _, T := range []float32{1, 1000} {
		o := NewODIN(T, 0.01)
		g, err := o.inputGradient(m, x)
		if err != nil {
			t.Fatal(err)
		}
		xt, err := o.Perturb(m, x)
		if err != nil {
			t.Fatal(err)
		}
		const h = 1e-2
		var maxFD float64
		fd := make([]float64, len(x.Data))
		for i := range x.Data {
			xp, xm := x.Clone(), x.Clone()
			xp.Data[i] += h
			xm.Data[i] -= h
			fd[i] = (odinLoss(t, m, xp, pred, float64(T)) - odinLoss(t, m, xm, pred, float64(T))) / (2 * h)
			maxFD = math.Max(maxFD, math.Abs(fd[i]))
		}
		if maxFD == 0 {
			t.Fatalf("T=%g: zero finite-difference gradient", T)
		}
		checked := 0
		for i, f := range fd {
			if d := math.Abs(float64(g.Data[i]) - f); d > 2e-2*maxFD {
				t.Errorf("T=%g: gradient[%d] = %g, finite difference %g", T, i, g.Data[i], f)
			}
			if math.Abs(f) < 0.05*maxFD {
				continue // sign not resolvable by finite differences
			}
			checked++
			step := float64(xt.Data[i] - x.Data[i])
			if want := -math.Copysign(float64(o.Eps), f); math.Abs(step-want) > 1e-6 {
				t.Errorf("T=%g: input %d moved by %g, want %g (finite-difference gradient %g)", T, i, step, want, f)
			}
		}
		if checked < len(fd)/2 {
			t.Errorf("T=%g: only %d of %d signs checked", T, checked, len(fd))
		}
		if before, after := odinLoss(t, m, x, pred, float64(T)), odinLoss(t, m, xt, pred, float64(T)); !(after < before) {
			t.Errorf("T=%g: perturbation did not lower the cross-entropy: %g -> %g", T, before, after)
		}
	}
}

func TestODINScoreAndSideEffects(t *testing.T) {
	m := newFakeNet(2, 4, 0)
	x := randImages(5, 2, 5, 7)
	orig := x.Clone()
	// Eps = 0 is pure temperature scaling: −MSP at T.
	got, err := NewODIN(1000, 0).ScoreImages(m, x)
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(x)
	want, _ := Compute(MSP, logits, 1000)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("eps=0: score[%d] = %g, want −MSP(T=1000) = %g", i, got.Data[i], want.Data[i])
		}
	}
	o := NewODIN(0, -1)
	if o.T != DefaultODINTemperature || o.Eps != DefaultODINEps {
		t.Fatalf("defaults: %+v", o)
	}
	s, err := o.ScoreImages(m, x)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.ShapeEqual(s.Shape, []int{2, 5, 7}) {
		t.Fatalf("score shape %v", s.Shape)
	}
	for i := range x.Data {
		if x.Data[i] != orig.Data[i] {
			t.Fatal("ODIN modified its input images")
		}
	}
	for _, p := range nn.NamedParameters(m) {
		if p.Var.Grad != nil {
			t.Errorf("parameter %s received a gradient", p.Name)
		}
		if !p.Var.RequiresGrad() {
			t.Errorf("parameter %s left frozen", p.Name)
		}
	}
	func() {
		defer autograd.NoGrad()()
		if _, err := o.ScoreImages(m, x); err == nil {
			t.Error("ODIN inside NoGrad did not fail")
		}
	}()
	if _, err := (ODIN{T: 10, Eps: float32(math.NaN())}).ScoreImages(m, x); err == nil {
		t.Error("NaN eps accepted")
	}
}
