package joint

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// TestNegLossValues compares each L_neg with package ood's float64
// divergences, including very confident pixels where KL(U‖p) is large.
func TestNegLossValues(t *testing.T) {
	const n, k, h, w = 2, 5, 3, 4
	rng := rand.New(rand.NewPCG(5, 5))
	z := tensor.New(n, k, h, w)
	for i := range z.Data {
		z.Data[i] = float32(3 * rng.NormFloat64())
	}
	z.Data[0] = 40 // one nearly one-hot pixel
	ref := map[NegLoss]func([]float64) float64{JSD: ood.JSToUniform, KL: ood.KLUniformTo, RKL: ood.ReverseKLToUniform}
	for kind, fn := range ref {
		var want float64
		for i := range n {
			for pix := range h * w {
				logits := make([]float64, k)
				mx := math.Inf(-1)
				for c := range k {
					logits[c] = float64(z.Data[(i*k+c)*h*w+pix])
					mx = math.Max(mx, logits[c])
				}
				var s float64
				for c := range logits {
					logits[c] = math.Exp(logits[c] - mx)
					s += logits[c]
				}
				for c := range logits {
					logits[c] /= s
				}
				want += fn(logits)
			}
		}
		want /= n * h * w
		got := float64(kind.Mean(autograd.Const(z)).Value.Data[0])
		if math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
			t.Errorf("%v: mean %v, want %v", kind, got, want)
		}
	}
	// The JS loss is bounded by ln 2 (robustness, paper Fig. 3).
	if v := JSD.Mean(autograd.Const(tensor.FromData([]float32{100, 0}, 1, 2))).Value.Data[0]; v > float32(math.Ln2)+1e-6 {
		t.Errorf("JS of a one-hot two-class posterior %v exceeds ln 2", v)
	}
	if v := JSD.Mean(autograd.Const(tensor.New(1, 4))).Value.Data[0]; math.Abs(float64(v)) > 1e-6 {
		t.Errorf("JS of a uniform posterior = %v, want 0", v)
	}
}

func TestNegLossGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	z := tensor.New(2, 4, 2, 3)
	for i := range z.Data {
		z.Data[i] = float32(rng.NormFloat64())
	}
	for _, kind := range []NegLoss{JSD, KL, RKL} {
		err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var {
			return kind.Mean(in[0])
		}, []*tensor.Tensor{z}, 1e-2, 1e-3)
		if err != nil {
			t.Errorf("%v: %v", kind, err)
		}
	}
}

func TestParseNegLoss(t *testing.T) {
	for _, s := range []string{"jsd", "kl", "rkl"} {
		k, err := ParseNegLoss(s)
		if err != nil || k.String() != s {
			t.Errorf("ParseNegLoss(%q) = %v, %v", s, k, err)
		}
	}
	if _, err := ParseNegLoss("l2"); err == nil {
		t.Error("ParseNegLoss accepted l2")
	}
}

func TestClampImage(t *testing.T) {
	x := tensor.FromData([]float32{-3, -0.5, -0.2, 0, 0.49, 0.5, 7}, 1, 1, 1, 7)
	in := autograd.Input(x, true)
	y := ClampImage(in)
	want := []float32{-0.5, -0.5, -0.2, 0, 0.49, 0.5, 0.5}
	for i, v := range y.Value.Data {
		if v != want[i] {
			t.Fatalf("clamp(%v) = %v, want %v", x.Data[i], v, want[i])
		}
	}
	autograd.Sum(y).Backward()
	wantGrad := []float32{0, 1, 1, 1, 1, 1, 0} // kinks at ±0.5 count as inside (relu'(0) = 0)
	for i, g := range in.Grad.Data {
		if g != wantGrad[i] {
			t.Errorf("d clamp/dx at %v = %v, want %v", x.Data[i], g, wantGrad[i])
		}
	}
}
