package ood

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
)

// UNO scores with a negative class (Delić, Grcić & Šegvić, "Outlier
// detection by ensembling uncertainty with negative objectness", BMVC
// 2024). The classifier has K+1 outputs, the last trained on pasted
// negatives (train/joint's --head uno); with p = softmax over all K+1
// logits, the anomaly score is
//
//	uno = p_{K+1} − max_{k≤K} p_k
//
// the negative objectness plus the uncertainty of the inlier posterior. It
// is the authors' evaluation (ood_detection_evaluation_UNO.py in
// matejgrcic/Open-set-M2F: s_x = max over inlier classes of the softmax
// minus the negative class's, score −s_x) applied per pixel; their
// mask-level model's extra "no object" column has no per-pixel
// counterpart here.

// A NegativeClassModel has a classifier with a (K+1)-th negative class
// (seg.Model with Config.Head "uno"). Its Logits and NativeLogits return
// the K inlier logits; AllLogits and NativeAllLogits all K+1.
type NegativeClassModel interface {
	HasNegativeClass() bool
	AllLogits(images *tensor.Tensor) (*tensor.Tensor, error)
	NativeAllLogits(images *tensor.Tensor) (*tensor.Tensor, error)
}

// AsNegativeClassModel returns m as a NegativeClassModel, or an error
// naming the score when m has no negative class.
func AsNegativeClassModel(m any, score string) (NegativeClassModel, error) {
	nm, ok := m.(NegativeClassModel)
	if !ok || !nm.HasNegativeClass() {
		return nil, fmt.Errorf("ood: score %s needs a model with a negative class (train joint --head uno); this one has K logits only", score)
	}
	return nm, nil
}

// UNOScorer is the uno score as a ModelScorer: one pass for the K+1
// logits (NegativeClassModel.AllLogits), then Compute(UNO, ·, 1).
type UNOScorer struct{}

// Name returns "uno".
func (UNOScorer) Name() string { return "uno" }

// ScoreImages scores a normalised image batch.
func (UNOScorer) ScoreImages(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	nm, err := AsNegativeClassModel(m, "uno")
	if err != nil {
		return nil, err
	}
	all, err := nm.AllLogits(images)
	if err != nil {
		return nil, fmt.Errorf("ood: uno: forward pass: %w", err)
	}
	return Compute(UNO, all, 1)
}

// unoRange writes p_{k−1} − max_{c<k−1} p_c (p = softmax(l/T) over all k
// channels) for pixels [i0, i0+len(dst)) of one image's logits.
func unoRange(dst, logits []float32, hw, k, i0 int, invT float32) {
	n := len(dst)
	mx := make([]float32, n) // max over inlier channels
	copy(mx, logits[i0:i0+n])
	for c := 1; c < k-1; c++ {
		for j, v := range logits[c*hw+i0 : c*hw+i0+n] {
			mx[j] = max(mx[j], v)
		}
	}
	neg := logits[(k-1)*hw+i0 : (k-1)*hw+i0+n]
	for j := range dst {
		m := max(mx[j], neg[j])
		var s float32
		for c := 0; c < k; c++ {
			s += exp32((logits[c*hw+i0+j] - m) * invT)
		}
		dst[j] = (exp32((neg[j]-m)*invT) - exp32((mx[j]-m)*invT)) / s // NaN logits give NaN
	}
}
