package ood

import (
	"math"
	"testing"
)

// With p = 0 every pass is the deterministic forward, so MC dropout reduces
// to the entropy and MSP scores of the plain logits.
func TestMCDropoutWithoutDropoutEqualsSinglePass(t *testing.T) {
	m := newFakeNet(4, 6, 0)
	x := randImages(9, 2, 6, 10)
	logits, _ := m.Logits(x)
	for _, c := range []struct {
		measure MCMeasure
		kind    Kind
	}{{MCEntropy, Entropy}, {MCMSP, MSP}} {
		got, err := NewMCDropout(5, c.measure, 1).ScoreImages(m, x)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Compute(c.kind, logits, 1)
		for i := range want.Data {
			if math.Abs(float64(got.Data[i]-want.Data[i])) > 2e-6 {
				t.Fatalf("%v: score[%d] = %g, want %v = %g", c.measure, i, got.Data[i], c.kind, want.Data[i])
			}
		}
	}
}

// With dropout on, scores depend on the seed only, and averaging passes
// raises the predictive entropy on average (mixtures are flatter).
func TestMCDropoutStochastic(t *testing.T) {
	m := newFakeNet(4, 6, 0.5)
	x := randImages(9, 2, 6, 10)
	a, _ := NewMCDropout(8, MCEntropy, 42).ScoreImages(m, x)
	b, _ := NewMCDropout(8, MCEntropy, 42).ScoreImages(m, x)
	c, _ := NewMCDropout(8, MCEntropy, 43).ScoreImages(m, x)
	same, diff := true, false
	for i := range a.Data {
		same = same && a.Data[i] == b.Data[i]
		diff = diff || a.Data[i] != c.Data[i]
	}
	if !same {
		t.Error("same seed gave different scores")
	}
	if !diff {
		t.Error("different seeds gave identical scores")
	}
	one, _ := NewMCDropout(1, MCEntropy, 42).ScoreImages(m, x)
	var sa, s1 float64
	for i := range a.Data {
		sa += float64(a.Data[i])
		s1 += float64(one.Data[i])
	}
	if !(sa > s1) {
		t.Errorf("mean entropy of 8 passes %g not above one pass %g", sa, s1)
	}
	if n := NewMCDropout(0, MCEntropy, 1); n.Passes != DefaultMCPasses || n.Name() != "mcdropout(K=8,entropy)" {
		t.Errorf("defaults: %+v %s", n, n.Name())
	}
}
