package joint

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/ood"
)

// The sampler draws what VOS's brute force keeps: with Σ = diag(1, 4) and
// the S = 1 (S = 3) lowest-density of N = 10000 candidates, the whitened
// squared radius is the largest (third largest) of N chi-square(2) draws,
// mean 2·H_N (2·(H_N − H_2)); directions are uniform, so in raw
// coordinates the second axis has 4 times the first's spread; absent
// classes are not sampled.
func TestGMMSampleStatistics(t *testing.T) {
	hn := 0.0
	for k := 1; k <= 10000; k++ {
		hn += 1 / float64(k)
	}
	for _, c := range []struct {
		sel  int
		want float64
	}{{1, 2 * hn}, {3, 2 * (hn - 1.5)}} {
		g := &GMMNegatives{K: 2, D: 2, Mu: []float64{1, -1, 0, 0}, L: []float64{1, 0, 0, 2},
			Present: []bool{true, false}, Candidates: 10000, Select: c.sel}
		rng := rand.New(rand.NewPCG(1, 2))
		var r2, a0, a1 float64
		var n int
		for it := 0; it < 3000; it++ {
			v := g.Sample(rng)
			if v.Shape[0] != 1 || v.Shape[1] != 2 || v.Shape[2] != 1 || v.Shape[3] != c.sel {
				t.Fatalf("sample shape %v", v.Shape)
			}
			// The last kept sample is the S-th largest.
			x0, x1 := float64(v.Data[c.sel-1])-1, float64(v.Data[c.sel+c.sel-1])+1
			r2 += x0*x0 + x1*x1/4
			a0 += x0 * x0
			a1 += x1 * x1
			n++
		}
		r2 /= float64(n)
		if math.Abs(r2-c.want) > 0.25 {
			t.Errorf("S=%d: mean whitened radius² %.3f, want %.3f", c.sel, r2, c.want)
		}
		if ratio := a1 / a0; math.Abs(ratio-4) > 0.4 {
			t.Errorf("S=%d: spread ratio %.2f, want 4", c.sel, ratio)
		}
	}
}

// The fit recovers the class means and the shared covariance (plus the
// stated ridge) from a feature sample.
func TestNewGMMNegativesFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var feats []float32
	var cls []int32
	for i := 0; i < 20000; i++ {
		c := i % 2
		feats = append(feats, float32(3*c)+float32(rng.NormFloat64()), float32(-2*c)+float32(2*rng.NormFloat64()))
		cls = append(cls, int32(c))
	}
	g, err := NewGMMNegatives(&ood.FeatureSample{D: 2, K: 3, Feats: feats, Class: cls}, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Present[0] || !g.Present[1] || g.Present[2] {
		t.Errorf("present %v", g.Present)
	}
	for i, want := range []float64{0, 0, 3, -2} {
		if math.Abs(g.Mu[i]-want) > 0.05 {
			t.Errorf("mu[%d] = %.3f, want %v", i, g.Mu[i], want)
		}
	}
	// Σ ≈ diag(1, 4): L ≈ diag(1, 2).
	if math.Abs(g.L[0]-1) > 0.03 || math.Abs(g.L[3]-2) > 0.05 || math.Abs(g.L[2]) > 0.05 || g.L[1] != 0 {
		t.Errorf("L = %v, want ≈ diag(1, 2)", g.L)
	}
	if s := g.Sample(rng); s.Shape[3] != 4 {
		t.Errorf("%d virtual features, want 2 classes × 2", s.Shape[3])
	}
}

// headNet is tinyNet with its last convolution exposed as the head, so
// virtual features can be classified.
type headNet struct{ *tinyNet }

func (h headNet) HeadLogits(f *autograd.Var) *autograd.Var { return h.c2.Forward(f) }

// With GMM negatives, L_neg reaches only the head: the other parameters'
// gradients equal plain cross-entropy training's, the head's differ.
func TestGMMNegativesTrainOnlyTheHead(t *testing.T) {
	const k = 3
	x, labels := randomBatch(2, 8, 8, k, 5)
	net := headNet{newTinyNet(k, 6)}
	// Virtual features live in c2's input space: 6 channels, 3×3 kernel
	// (a "pixel" with its neighbourhood set by padding).
	g := &GMMNegatives{K: k, D: 6, Mu: make([]float64, k*6), L: make([]float64, 36), Present: []bool{true, true, true}, Candidates: 50, Select: 2}
	for i := 0; i < 6; i++ {
		g.L[i*6+i] = 1
	}
	grads := func(virtual *GMMNegatives) map[string][]float32 {
		o := &Objective{Classifier: net, Virtual: virtual, Lambda: 0.5, Loss: JSD, NumClasses: k}
		if err := o.Validate(8, 8); err != nil {
			t.Fatal(err)
		}
		res, err := o.Gradients(x, labels, rand.New(rand.NewPCG(7, 8)))
		if err != nil || !res.Finite() {
			t.Fatalf("gradients: %v %+v", err, res)
		}
		if virtual != nil && (res.Virtual != 6 || math.IsNaN(res.Neg)) {
			t.Fatalf("virtual %d, neg %v", res.Virtual, res.Neg)
		}
		out := map[string][]float32{}
		for _, p := range nn.NamedParameters(net) {
			out[p.Name] = append([]float32(nil), p.Var.Grad.Data...)
		}
		return out
	}
	plain, withVirtual := grads(nil), grads(g)
	for name, gp := range plain {
		gv := withVirtual[name]
		same := true
		for i := range gp {
			if gp[i] != gv[i] {
				same = false
			}
		}
		head := name == "c2.weight" || name == "c2.bias"
		if head == same {
			t.Errorf("%s: gradient changed by the virtual negatives: %v (want %v)", name, !same, head)
		}
	}
}
