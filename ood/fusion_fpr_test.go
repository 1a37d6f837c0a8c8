package ood

import "testing"

func TestCalibrateThresholdFPR(t *testing.T) {
	// Ten inliers 0..9, two anomalies, one void.
	scores := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 30, 100}
	labels := []uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 255}
	for _, c := range []struct {
		fpr     float64
		flagged int // inliers with score > δ
	}{{0, 0}, {0.1, 1}, {0.25, 2}, {0.5, 5}, {0.95, 9}} {
		thr, err := CalibrateThresholdFPR(scores, labels, 255, c.fpr)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, s := range scores[:10] {
			if s > thr && labels[i] == 0 {
				n++
			}
		}
		if n != c.flagged {
			t.Errorf("fpr %g: threshold %g flags %d inliers, want %d", c.fpr, thr, n, c.flagged)
		}
	}
	// Ties at the boundary are not flagged (at most fpr).
	thr, err := CalibrateThresholdFPR([]float32{1, 1, 1, 1}, []uint8{0, 0, 0, 0}, 255, 0.5)
	if err != nil || thr != 1 {
		t.Errorf("ties: threshold %g, %v", thr, err)
	}
	if _, err := CalibrateThresholdFPR([]float32{1}, []uint8{1}, 255, 0.05); err == nil {
		t.Error("no inliers: want an error")
	}
	if _, err := CalibrateThresholdFPR([]float32{1}, []uint8{0}, 255, 1); err == nil {
		t.Error("fpr 1: want an error")
	}
}
