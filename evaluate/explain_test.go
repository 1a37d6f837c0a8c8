package evaluate

import (
	"math"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/metrics"
)

func TestEdges(t *testing.T) {
	// One 1×7 row: a run of 1s at columns 3-4; radius 1.
	got := edges([]uint8{0, 0, 0, 1, 1, 0, 0}, 1, 7, 1)
	want := []bool{false, false, true, true, true, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row edges %v, want %v", got, want)
		}
	}
	// A 5×5 map with one different pixel in the centre, radius 2: every
	// pixel is within 2 of it (Chebyshev), so all are boundary pixels;
	// with radius 1, only the 3×3 block around it.
	lab := make([]uint8, 25)
	lab[12] = 7
	for _, c := range []struct {
		r, n int
	}{{2, 25}, {1, 9}, {0, 0}} {
		n := 0
		for _, e := range edges(lab, 5, 5, c.r) {
			if e {
				n++
			}
		}
		if n != c.n {
			t.Errorf("radius %d: %d boundary pixels, want %d", c.r, n, c.n)
		}
	}
}

// TestExplainByHand: 20 anomaly pixels with scores 1..20, so the 95%-TPR
// threshold is 2 (19 of 20 at or above it) and pixel score 1 is missed;
// 10 inlier pixels, 4 of them at or above 2.
func TestExplainByHand(t *testing.T) {
	meta := &dataset.Meta{Classes: []string{"road", "car"}}
	var scores []float32
	var labels []uint8
	f := &pixelFacts{}
	for i := range 20 {
		scores = append(scores, float32(i+1))
		labels = append(labels, 1)
		f.gt = append(f.gt, voidLabel)
		f.pred = append(f.pred, uint8(i%2)) // the missed pixel (score 1) is predicted road
		f.edge = append(f.edge, i == 0)
	}
	// Inliers: gt, score, edge.
	for _, p := range []struct {
		gt    uint8
		score float32
		edge  bool
	}{
		{0, 5, true}, {0, 3, false}, {0, 0.5, false}, {0, 0.1, true}, {0, 0.2, false},
		{1, 9, true}, {1, 2, true}, {1, 1.5, false}, {1, 0.3, false}, {1, 0.4, false},
	} {
		scores = append(scores, p.score)
		labels = append(labels, 0)
		f.gt = append(f.gt, p.gt)
		f.pred = append(f.pred, p.gt)
		f.edge = append(f.edge, p.edge)
	}
	e := explain(scores, labels, f, meta)
	if e.Threshold != 2 {
		t.Fatalf("threshold %v, want 2", e.Threshold)
	}
	// FPs: road 5 (edge), road 3, car 9 (edge), car 2 (edge): 4 of 10;
	// 4 of the inliers are on edges, 3 of those are FPs; 1 of 6 inside.
	check := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("InlierEdgeShare", e.InlierEdgeShare, 0.4)
	check("FPEdgeShare", e.FPEdgeShare, 0.75)
	check("FPREdge", e.FPREdge, 0.75)
	check("FPRInterior", e.FPRInterior, 1.0/6)
	if len(e.FPByClass) != 2 || e.FPByClass[0].Class != "road" || e.FPByClass[0].Share != 0.5 || e.FPByClass[0].Rate != 0.4 {
		t.Errorf("FPByClass %+v", e.FPByClass)
	}
	check("MissedEdgeShare", e.MissedEdgeShare, 1)
	if len(e.MissedAs) != 1 || e.MissedAs[0] != (ClassShare{Class: "road", Share: 1}) {
		t.Errorf("MissedAs %+v", e.MissedAs)
	}
	// No anomalies: nothing to explain.
	if explain([]float32{1}, []uint8{0}, &pixelFacts{gt: []uint8{0}, pred: []uint8{0}, edge: []bool{false}}, meta) != nil {
		t.Error("an explanation without anomaly pixels")
	}
}

// TestRunExplain: through RunModel, each score's explanation reproduces its
// FPR95 (inlier pixels at or above the 95%-TPR threshold) and prints.
func TestRunExplain(t *testing.T) {
	m := tinyModel(t, 13)
	test := openSplit(t, "test")
	rep, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"msp", "js"}, BatchSize: 3, Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Scores {
		e := s.Explain
		if e == nil {
			t.Fatalf("%s: no explanation", s.Score)
		}
		fpr := e.InlierEdgeShare*e.FPREdge + (1-e.InlierEdgeShare)*e.FPRInterior
		if math.Abs(fpr-s.FPR95) > 1e-6 {
			t.Errorf("%s: explained FPR %v, FPR95 %v", s.Score, fpr, s.FPR95)
		}
		sum := 0.0
		for _, c := range e.FPByClass {
			sum += c.Share
		}
		if len(e.FPByClass) > 0 && math.Abs(sum-1) > 1e-9 {
			t.Errorf("%s: class shares of the false positives sum to %v", s.Score, sum)
		}
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "js at 95% TPR") || !strings.Contains(b.String(), "missed anomaly pixels") {
		t.Errorf("table without the explanation:\n%s", b.String())
	}
	// Without Explain, nothing is computed.
	rep, err = RunModel(m, tinyInfo(m), test, Options{Scores: []string{"msp"}, Protocol: metrics.Pooled})
	if err != nil || rep.Scores[0].Explain != nil {
		t.Errorf("explanation without Options.Explain (err %v)", err)
	}
}
