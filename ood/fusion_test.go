package ood

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/tensor"
)

func TestCalibrateThreshold(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 50; trial++ {
		n := 10 + r.IntN(2000)
		s := make([]float32, n)
		l := make([]uint8, n)
		for i := range s {
			s[i] = float32(r.IntN(50)) / 10 // many ties
			l[i] = uint8(r.IntN(2))
		}
		l[0], l[1] = 0, 1
		d, err := CalibrateThreshold(s, l, 255, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		var P, TP float64
		for i := range s {
			if l[i] == 1 {
				P++
				if s[i] > d {
					TP++
				}
			}
		}
		if TP/P < 0.95 {
			t.Fatalf("TPR %v < 0.95 at δ=%v", TP/P, d)
		}
		// Agrees with the FPR95 threshold of the metrics package.
		ex, err := metrics.Exact(s, l, 255)
		if err != nil {
			t.Fatal(err)
		}
		if d != math.Nextafter32(ex.Threshold95, float32(math.Inf(-1))) {
			t.Fatalf("δ=%v, metrics threshold %v", d, ex.Threshold95)
		}
	}
	if _, err := CalibrateThreshold([]float32{1}, []uint8{0}, 255, 0.95); err == nil {
		t.Error("no positives accepted")
	}
	if _, err := CalibrateThreshold([]float32{1, 2}, []uint8{1, 7}, 255, 0.95); err == nil {
		t.Error("label 7 accepted")
	}
	if _, err := CalibrateThreshold([]float32{1}, []uint8{1}, 255, 1.5); err == nil {
		t.Error("TPR 1.5 accepted")
	}
}

func TestFuse(t *testing.T) {
	// 1 image, 3 classes, 4 pixels.
	logits := tensor.FromData([]float32{
		5, 0, 0, 1, // class 0
		0, 5, 0, 1, // class 1
		0, 0, 5, 1, // class 2
	}, 1, 3, 1, 4)
	scores := tensor.FromData([]float32{0.1, 0.9, 0.5, 0.7}, 1, 1, 4)
	got, err := Fuse(logits, scores, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint8{0, 3, 2, 3} // pixel 3: tie -> class 0, but score 0.7 > 0.5
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Fuse = %v, want %v", got, want)
		}
	}
	if _, err := Fuse(logits, tensor.New(1, 1, 3), 0); err == nil {
		t.Error("score/logit mismatch accepted")
	}
}

func TestDivergences(t *testing.T) {
	// Closed forms for two classes at p = (1, 0).
	js, kl, rkl := TwoClassDivergences(1)
	if math.Abs(js-JSMax(2)) > 1e-15 || !math.IsInf(kl, 1) || math.Abs(rkl-math.Log(2)) > 1e-15 {
		t.Fatalf("p=(1,0): js=%v (want %v) kl=%v rkl=%v", js, JSMax(2), kl, rkl)
	}
	js, kl, rkl = TwoClassDivergences(0.5)
	if js != 0 || kl != 0 || rkl != 0 {
		t.Fatalf("uniform: %v %v %v", js, kl, rkl)
	}
	// JS is symmetric and bounded by ln 2; the ordering of Figure 3 holds:
	// JS grows slowest away from uniform.
	for p1 := 0.51; p1 < 0.999; p1 += 0.01 {
		js, kl, rkl := TwoClassDivergences(p1)
		if js > kl || js > rkl || js > math.Ln2 {
			t.Fatalf("p1=%v: js=%v kl=%v rkl=%v", p1, js, kl, rkl)
		}
		p, q := []float64{p1, 1 - p1}, []float64{0.3, 0.7}
		if math.Abs(JS(p, q)-JS(q, p)) > 1e-15 {
			t.Fatal("JS not symmetric")
		}
	}
	for k := 2; k < 50; k++ {
		p := make([]float64, k)
		p[0] = 1
		if math.Abs(JSToUniform(p)-JSMax(k)) > 1e-12 {
			t.Fatalf("JSMax(%d) = %v, one-hot JS %v", k, JSMax(k), JSToUniform(p))
		}
	}
}

// FuseLabels is the plain per-pixel rule, over several parallel blocks.
func TestFuseLabels(t *testing.T) {
	const n = 3<<16 + 123
	rng := rand.New(rand.NewPCG(8, 8))
	labels, scores := make([]uint8, n), make([]float32, n)
	for i := range labels {
		labels[i] = uint8(rng.IntN(19))
		scores[i] = float32(rng.NormFloat64())
	}
	scores[5], scores[6], scores[7] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
	got := FuseLabels(labels, scores, 0.25, 19)
	for i, c := range labels {
		want := c
		if scores[i] > 0.25 {
			want = 19
		}
		if got[i] != want {
			t.Fatalf("pixel %d: %d, want %d", i, got[i], want)
		}
	}
	if len(FuseLabels(labels[:10], scores[:7], 0, 19)) != 7 {
		t.Error("length is not the shorter input's")
	}
}
