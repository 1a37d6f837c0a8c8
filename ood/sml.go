package ood

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/tensor"
)

// SMLFit accumulates the class-conditional statistics of standardized max
// logits (Jung et al., "Standardized Max Logits", ICCV 2021): for each class
// c, the mean and standard deviation of max_k l_k over training pixels whose
// prediction is c. Add batches of training logits, then call Finish.
// (The paper's boundary suppression and dilated smoothing are not included.)
type SMLFit struct {
	count      []int64
	sum, sumSq []float64
}

// NewSMLFit returns an empty accumulator for k classes.
func NewSMLFit(k int) *SMLFit {
	return &SMLFit{count: make([]int64, k), sum: make([]float64, k), sumSq: make([]float64, k)}
}

// Add accumulates a batch of NCHW training logits.
func (f *SMLFit) Add(logits *tensor.Tensor) error {
	n, k, h, w, err := dims(logits)
	if err != nil {
		return err
	}
	if k != len(f.count) {
		return fmt.Errorf("ood: SML fitted for %d classes, logits have %d", len(f.count), k)
	}
	hw := h * w
	var st softmaxStats
	cs := statsConsts(k, 1)
	for img := 0; img < n; img++ {
		base := img * k * hw
		for b := 0; b < hw; b += statBlock {
			bw := min(statBlock, hw-b)
			blockStatsFast(&st, logits.Data[base+b:], hw, k, bw, 1, false, cs)
			for j := 0; j < bw; j++ {
				c, m := st.arg[j], float64(st.m[j])
				f.count[c]++
				f.sum[c] += m
				f.sumSq[c] += m * m
			}
		}
	}
	return nil
}

// Finish returns the fitted scorer. Classes never predicted in training get
// the pooled statistics of all pixels, so every pixel can be scored.
func (f *SMLFit) Finish() (*SML, error) {
	var n int64
	var s, ss float64
	for c := range f.count {
		n += f.count[c]
		s += f.sum[c]
		ss += f.sumSq[c]
	}
	if n < 2 {
		return nil, fmt.Errorf("ood: SML needs at least 2 training pixels, have %d", n)
	}
	stat := func(n int64, s, ss float64) (float32, float32) {
		mean := s / float64(n)
		v := max(ss/float64(n)-mean*mean, 0)
		return float32(mean), float32(math.Sqrt(v))
	}
	out := &SML{Mean: make([]float32, len(f.count)), Std: make([]float32, len(f.count))}
	pm, ps := stat(n, s, ss)
	for c := range f.count {
		if f.count[c] >= 2 {
			out.Mean[c], out.Std[c] = stat(f.count[c], f.sum[c], f.sumSq[c])
		} else {
			out.Mean[c], out.Std[c] = pm, ps
		}
		if !(out.Std[c] > 0) {
			out.Std[c] = max(ps, 1e-6)
		}
	}
	return out, nil
}

// SML is the standardized-max-logit scorer: −(max_k l_k − Mean[c])/Std[c]
// with c = argmax_k l_k, negated so that higher = more anomalous.
type SML struct {
	Mean, Std []float32
}

// Name returns "sml".
func (s *SML) Name() string { return "sml" }

// Score computes the score map of NCHW logits.
func (s *SML) Score(logits *tensor.Tensor) (*tensor.Tensor, error) {
	n, k, h, w, err := dims(logits)
	if err != nil {
		return nil, err
	}
	if k != len(s.Mean) || k != len(s.Std) {
		return nil, fmt.Errorf("ood: SML fitted for %d classes, logits have %d", len(s.Mean), k)
	}
	hw := h * w
	out := tensor.New(n, h, w)
	inv := make([]float32, k)
	for c := range inv {
		inv[c] = 1 / s.Std[c]
	}
	cs := statsConsts(k, 1)
	forPixels(n, hw, func(img, i0, i1 int) {
		var st softmaxStats
		base := img * k * hw
		for b := i0; b < i1; b += statBlock {
			bw := min(statBlock, i1-b)
			blockStatsFast(&st, logits.Data[base+b:], hw, k, bw, 1, false, cs)
			o := out.Data[img*hw+b : img*hw+b+bw]
			for j := range o {
				c := st.arg[j]
				o[j] = -(st.m[j] - s.Mean[c]) * inv[c]
			}
		}
	})
	return out, nil
}
