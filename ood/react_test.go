package ood

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// Clipping at the 100th percentile of the very images scored changes
// nothing, so ReAct reduces to the energy score.
func TestReActPercentileOneEqualsEnergy(t *testing.T) {
	m := newFakeNet(11, 5, 0)
	x := randImages(12, 3, 8, 6)
	fit, err := NewReActFit(1, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := fit.Add(m, x); err != nil {
		t.Fatal(err)
	}
	r, err := fit.Finish()
	if err != nil {
		t.Fatal(err)
	}
	feat, _ := m.Features(x)
	if r.Clip != slices.Max(feat.Data) {
		t.Fatalf("clip %g, max activation %g", r.Clip, slices.Max(feat.Data))
	}
	got, err := r.ScoreImages(m, x)
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(x)
	want, _ := Compute(Energy, logits, 1)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("score[%d] = %g, want energy %g", i, got.Data[i], want.Data[i])
		}
	}
	if r.Name() != "react(p=1)" {
		t.Errorf("name %q", r.Name())
	}
}

// The fitted clip is numpy.percentile's linear interpolation, lower
// percentiles change the scores, and the reservoir keeps the fit bounded.
func TestReActFitPercentile(t *testing.T) {
	vals := tensor.FromData([]float32{5, 1, 4, 2, 3}, 1, 5, 1, 1)
	for _, c := range []struct{ q, want float64 }{{0.5, 3}, {0.9, 4.6}, {0.95, 4.8}, {0.99, 4.96}, {1, 5}} {
		f, _ := NewReActFit(c.q, 0, 1)
		if err := f.AddFeatures(vals); err != nil {
			t.Fatal(err)
		}
		r, _ := f.Finish()
		if math.Abs(float64(r.Clip)-c.want) > 1e-6 {
			t.Errorf("percentile %g: clip %g, want %g", c.q, r.Clip, c.want)
		}
	}
	bad := tensor.FromData([]float32{1, float32(math.NaN())}, 2)
	f, _ := NewReActFit(0.9, 0, 1)
	if err := f.AddFeatures(bad); err == nil {
		t.Error("NaN activation accepted")
	}

	small, _ := NewReActFit(0.9, 100, 3)
	big := tensor.New(1000)
	for i := range big.Data {
		big.Data[i] = float32(i)
	}
	if err := small.AddFeatures(big); err != nil {
		t.Fatal(err)
	}
	if len(small.sample) != 100 || small.seen != 1000 {
		t.Fatalf("reservoir holds %d of %d", len(small.sample), small.seen)
	}
	r, _ := small.Finish()
	if r.Clip < 700 || r.Clip > 990 { // true 90th percentile 899.1; loose sampling bound
		t.Errorf("reservoir percentile %g far from 899", r.Clip)
	}

	m := newFakeNet(11, 5, 0)
	x := randImages(12, 2, 8, 6)
	lo, _ := NewReActFit(0.5, 0, 1)
	_ = lo.Add(m, x)
	rl, _ := lo.Finish()
	a, err := rl.ScoreImages(m, x)
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(x)
	e, _ := Compute(Energy, logits, 1)
	changed := 0
	for i := range a.Data {
		if a.Data[i] != e.Data[i] {
			changed++
		}
	}
	if changed == 0 {
		t.Error("clipping at the median changed no score")
	}
}

// ReAct's threshold is a percentile of training activations; scoring then
// clips the features of each test batch at it (see ReAct.ScoreImages).
func ExampleReActFit() {
	fit, _ := NewReActFit(0.9, 0, 1)
	_ = fit.AddFeatures(tensor.FromData([]float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 1, 11, 1, 1))
	r, _ := fit.Finish()
	fmt.Println(r.Name(), r.Clip)
	// Output:
	// react(p=0.9) 9
}

func TestReActFinishAt(t *testing.T) {
	f, _ := NewReActFit(0.9, 0, 1)
	_ = f.AddFeatures(tensor.FromData([]float32{4, 0, 3, 1, 2}, 5))
	for q, want := range map[float64]float32{0.25: 1, 0.5: 2, 1: 4, 0.9: 3.6} {
		r, err := f.FinishAt(q)
		if err != nil || math.Abs(float64(r.Clip-want)) > 1e-6 || r.Percentile != q {
			t.Errorf("FinishAt(%g) = %+v, %v; want clip %g", q, r, err, want)
		}
	}
	if _, err := f.FinishAt(0); err == nil {
		t.Error("FinishAt(0) accepted")
	}
}
