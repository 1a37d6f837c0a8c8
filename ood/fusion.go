package ood

import (
	"fmt"
	"math"
	"slices"

	"github.com/nflowjs/nflowjs/tensor"
)

// Fuse returns the outlier-aware segmentation of paper Figure 4 as N·H·W
// labels: the closed-set argmax of the logits, overridden by the anomaly
// label K (one past the last class) wherever score > threshold. K must be
// below 255 so labels fit a uint8 with 255 left for void.
func Fuse(logits, scores *tensor.Tensor, threshold float32) ([]uint8, error) {
	n, k, h, w, err := dims(logits)
	if err != nil {
		return nil, err
	}
	if k >= 255 {
		return nil, fmt.Errorf("ood: fusion labels are uint8; %d classes plus anomaly do not fit", k)
	}
	if scores == nil || len(scores.Data) != n*h*w {
		return nil, fmt.Errorf("ood: score map does not match logits %v", logits.Shape)
	}
	arg, err := Argmax(logits)
	if err != nil {
		return nil, err
	}
	labels := make([]uint8, len(arg))
	for i, c := range arg {
		labels[i] = uint8(c)
	}
	return FuseLabels(labels, scores.Data, threshold, uint8(k)), nil
}

// fuseBlock is the number of pixels per parallel work item of FuseLabels.
const fuseBlock = 1 << 16

// FuseLabels is Fuse from closed-set labels (the argmax, already
// computed): each pixel keeps its class, or becomes anomaly where its
// score exceeds threshold (paper Figure 4; NaN scores are never
// anomalous). The result has min(len(labels), len(scores)) entries.
// Changing the threshold then needs no logits (predict, serve's slider).
func FuseLabels(labels []uint8, scores []float32, threshold float32, anomaly uint8) []uint8 {
	n := min(len(labels), len(scores))
	fused := make([]uint8, n)
	// A full-HD image has two million pixels whose comparisons a branch
	// predictor cannot guess on noisy score maps: select with a mask and
	// split the work over the cores (blocks of fuseBlock pixels, so small
	// images stay serial).
	tensor.ParallelFor((n+fuseBlock-1)/fuseBlock, func(s, e int) {
		lo, hi := s*fuseBlock, min(e*fuseBlock, n)
		l, sc, f := labels[lo:hi], scores[lo:hi], fused[lo:hi]
		for i, c := range l {
			m := uint8(0)
			if sc[i] > threshold {
				m = 0xff
			}
			f[i] = c&^m | anomaly&m
		}
	})
	return fused
}

// CalibrateThreshold returns the threshold δ for Fuse that reaches the given
// true-positive rate on validation data (paper section 4.2 uses TPR = 0.95,
// following DenseHybrid's open-mIoU protocol): the largest δ such that the
// fraction of anomaly pixels (label 1) with score > δ is at least tpr.
// Labels are 1 (anomaly), 0 (inlier) or ignore (void, skipped). It is the
// float32 just below metrics' Threshold95 (the lowest score kept), so
// score > δ ⟺ score ≥ that score.
func CalibrateThreshold(scores []float32, labels []uint8, ignore uint8, tpr float64) (float32, error) {
	if !(tpr > 0 && tpr <= 1) {
		return 0, fmt.Errorf("ood: target TPR %v outside (0, 1]", tpr)
	}
	pos, err := scoresOf(scores, labels, ignore, 1)
	if err != nil {
		return 0, err
	}
	if len(pos) == 0 {
		return 0, fmt.Errorf("ood: no anomaly pixels to calibrate on")
	}
	slices.Sort(pos)
	slices.Reverse(pos)
	// Smallest count c with c/P >= tpr, computed as metrics does.
	P := float64(len(pos))
	c := int(math.Ceil(tpr * P))
	for c > 1 && float64(c-1)/P >= tpr {
		c--
	}
	for c < len(pos) && float64(c)/P < tpr {
		c++
	}
	return math.Nextafter32(pos[c-1], float32(math.Inf(-1))), nil
}

// CalibrateThresholdFPR returns the threshold δ for Fuse that flags at most
// the fraction fpr of the inlier pixels (label 0) of validation data: the
// smallest δ with |{inliers: score > δ}| ≤ fpr·N. It needs no anomaly
// pixels. Where anomalies are small or hard, a TPR-95% threshold flags the
// scene's FPR95 share of inliers (60% of a road image at FPR95 60%); this
// one bounds the false alarms a user sees instead. Labels are as in
// CalibrateThreshold.
func CalibrateThresholdFPR(scores []float32, labels []uint8, ignore uint8, fpr float64) (float32, error) {
	if !(fpr >= 0 && fpr < 1) {
		return 0, fmt.Errorf("ood: target FPR %v outside [0, 1)", fpr)
	}
	neg, err := scoresOf(scores, labels, ignore, 0)
	if err != nil {
		return 0, err
	}
	if len(neg) == 0 {
		return 0, fmt.Errorf("ood: no inlier pixels to calibrate on")
	}
	slices.Sort(neg)
	slices.Reverse(neg)
	// Largest count c of flagged inliers with c ≤ fpr·N; δ = the (c+1)-th
	// highest score, so exactly the c highest (and ties above δ) exceed it.
	c := int(math.Floor(fpr * float64(len(neg))))
	if c >= len(neg) {
		return math.Nextafter32(neg[len(neg)-1], float32(math.Inf(-1))), nil
	}
	// Ties at the boundary stay unflagged: score > δ is strict.
	return neg[c], nil
}

// scoresOf validates calibration data (labels 0, 1 or ignore; no NaN score
// among the kept ones) and returns the scores of the pixels labelled want.
func scoresOf(scores []float32, labels []uint8, ignore, want uint8) ([]float32, error) {
	if len(scores) != len(labels) {
		return nil, fmt.Errorf("ood: %d scores, %d labels", len(scores), len(labels))
	}
	var out []float32
	for i, l := range labels {
		if l != 0 && l != 1 && l != ignore {
			return nil, fmt.Errorf("ood: label %d at index %d outside {0, 1, %d}", l, i, ignore)
		}
		if l == want {
			if scores[i] != scores[i] {
				return nil, fmt.Errorf("ood: NaN score at index %d", i)
			}
			out = append(out, scores[i])
		}
	}
	return out, nil
}
