package ood

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/nflowjs/nflowjs/tensor"
)

// ReAct settings (Sun, Guo & Li, "ReAct: Out-of-distribution Detection With
// Rectified Activations", NeurIPS 2021, arXiv:2111.12797).
const (
	// DefaultReActPercentile is the paper's default clipping percentile
	// (p = 90); issue 5 evaluates 0.9, 0.95 and 0.99.
	DefaultReActPercentile = 0.9
	// DefaultReActSamples bounds the activations ReActFit keeps
	// (a reservoir of 4 Mi float32, 16 MiB).
	DefaultReActSamples = 1 << 22
)

// ReActFit estimates ReAct's clipping threshold c, the given percentile of
// the model's pre-logit activations over training images. Every activation
// of every image added (all channels and positions) is a sample; beyond
// MaxSamples a uniform reservoir sample is kept (Vitter's algorithm R with
// a seeded generator), so memory is bounded and the fit is deterministic
// for a given sequence of batches.
type ReActFit struct {
	percentile float64
	max        int
	rng        *rand.Rand
	seen       int64
	sample     []float32
}

// NewReActFit returns an empty fit for a percentile in (0, 1] (0.9 = the
// 90th percentile; 1 = the maximum), keeping at most maxSamples activations
// (<= 0: DefaultReActSamples).
func NewReActFit(percentile float64, maxSamples int, seed uint64) (*ReActFit, error) {
	if !(percentile > 0 && percentile <= 1) {
		return nil, fmt.Errorf("ood: ReAct percentile %v outside (0, 1]", percentile)
	}
	if maxSamples <= 0 {
		maxSamples = DefaultReActSamples
	}
	return &ReActFit{percentile: percentile, max: maxSamples, rng: rand.New(rand.NewPCG(seed, 0x7265_6163_74))}, nil
}

// Add runs m (a FeatureModel) on a batch of training images and adds its
// pre-logit activations.
func (f *ReActFit) Add(m Model, images *tensor.Tensor) error {
	fm, ok := m.(FeatureModel)
	if !ok {
		return fmt.Errorf("ood: react: model %T does not expose pre-logit features (Features, LogitsFromFeatures)", m)
	}
	if err := checkImages("react", images); err != nil {
		return err
	}
	feat, err := fm.Features(images)
	if err != nil {
		return fmt.Errorf("ood: react: features: %w", err)
	}
	return f.AddFeatures(feat)
}

// AddFeatures adds activations directly. NaN or infinite values are errors.
func (f *ReActFit) AddFeatures(feat *tensor.Tensor) error {
	if feat == nil {
		return fmt.Errorf("ood: react: nil features")
	}
	for i, v := range feat.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("ood: react: non-finite activation %v at index %d", v, i)
		}
	}
	for _, v := range feat.Data {
		f.seen++
		if len(f.sample) < f.max {
			f.sample = append(f.sample, v)
			continue
		}
		if j := f.rng.Int64N(f.seen); j < int64(f.max) {
			f.sample[j] = v
		}
	}
	return nil
}

// Finish returns the ReAct scorer with c = the percentile of the sample,
// interpolated linearly between order statistics as numpy.percentile's
// default does: with s sorted and r = q·(n−1), c = s[⌊r⌋] + (r−⌊r⌋)·(s[⌊r⌋+1]−s[⌊r⌋]).
func (f *ReActFit) Finish() (*ReAct, error) { return f.FinishAt(f.percentile) }

// FinishAt is Finish at another percentile in (0, 1], so one pass over the
// training images serves several clipping levels (the paper's 0.9, 0.95,
// 0.99). The fit can still be extended and finished again afterwards.
func (f *ReActFit) FinishAt(percentile float64) (*ReAct, error) {
	if !(percentile > 0 && percentile <= 1) {
		return nil, fmt.Errorf("ood: ReAct percentile %v outside (0, 1]", percentile)
	}
	if len(f.sample) == 0 {
		return nil, fmt.Errorf("ood: react: no training activations to fit the clipping threshold")
	}
	s := slices.Clone(f.sample)
	slices.Sort(s)
	r := percentile * float64(len(s)-1)
	lo := int(math.Floor(r))
	c := float64(s[lo])
	if lo+1 < len(s) {
		c += (r - float64(lo)) * (float64(s[lo+1]) - float64(s[lo]))
	}
	return &ReAct{Percentile: percentile, Clip: float32(c)}, nil
}

// ReAct is the ReAct anomaly score: the pre-logit activations h(x) are
// rectified at c, the logits recomputed from min(h, c), and the energy
// score of those logits returned (ReAct paper eq. 2 and section 3):
//
//	h̄ = min(h(x), c),   score = −T·ln Σ_k exp(l_k(h̄)/T),   T = 1
//
// higher = more anomalous (Energy's orientation). The model must implement
// FeatureModel.
type ReAct struct {
	Percentile float64 // the percentile c was fitted at (informational)
	Clip       float32 // c
}

// Name returns e.g. "react(p=0.9)".
func (r *ReAct) Name() string { return fmt.Sprintf("react(p=%g)", r.Percentile) }

// ScoreImages clips the batch's features at Clip and scores the resulting
// logits by their energy.
func (r *ReAct) ScoreImages(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	name := r.Name()
	fm, ok := m.(FeatureModel)
	if !ok {
		return nil, fmt.Errorf("ood: %s: model %T does not expose pre-logit features (Features, LogitsFromFeatures)", name, m)
	}
	if err := checkImages(name, images); err != nil {
		return nil, err
	}
	feat, err := fm.Features(images)
	if err != nil {
		return nil, fmt.Errorf("ood: %s: features: %w", name, err)
	}
	// Clip into a copy: the feature tensor may alias model state.
	clipped := tensor.NewLike(feat)
	for i, v := range feat.Data {
		clipped.Data[i] = min(v, r.Clip)
	}
	_, _, h, w := images.NCHW()
	logits, err := fm.LogitsFromFeatures(clipped, h, w)
	if err != nil {
		return nil, fmt.Errorf("ood: %s: logits from clipped features: %w", name, err)
	}
	if err := checkLogitsFor(name, images, logits); err != nil {
		return nil, err
	}
	return Compute(Energy, logits, 1)
}
