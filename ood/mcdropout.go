package ood

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor"
)

// DefaultMCPasses is the default number of stochastic forward passes of
// MCDropout.
const DefaultMCPasses = 8

// MCMeasure selects what MCDropout reads from the mean softmax.
type MCMeasure int

const (
	// MCEntropy is the entropy H(p̄) = −Σ_k p̄_k ln p̄_k of the mean softmax
	// (predictive entropy, the default).
	MCEntropy MCMeasure = iota
	// MCMSP is −max_k p̄_k, the negated max-softmax of the mean (ordered
	// like 1 − MSP).
	MCMSP
)

func (m MCMeasure) String() string {
	switch m {
	case MCEntropy:
		return "entropy"
	case MCMSP:
		return "msp"
	}
	return fmt.Sprintf("MCMeasure(%d)", int(m))
}

// MCDropout is Monte-Carlo dropout (Gal & Ghahramani, "Dropout as a
// Bayesian Approximation", ICML 2016, arXiv:1506.02142): K forward passes
// with the model's dropout active, the mean softmax
//
//	p̄ = (1/K) Σ_{i=1..K} softmax(l⁽ⁱ⁾)
//
// and an uncertainty measure of p̄ (entropy by default, or the negated
// MSP), higher = more anomalous. The model must implement StochasticModel.
//
// The dropout masks come from one generator seeded with Seed when the
// scorer is made: scores are reproducible for a given sequence of calls
// (the same batches in the same order). A MCDropout is not safe for
// concurrent use.
type MCDropout struct {
	Passes  int // K >= 1
	Measure MCMeasure
	Seed    uint64

	rng *rand.Rand
}

// NewMCDropout returns an MC-dropout scorer with K passes (<= 0:
// DefaultMCPasses), the given measure and seed.
func NewMCDropout(passes int, measure MCMeasure, seed uint64) *MCDropout {
	if passes <= 0 {
		passes = DefaultMCPasses
	}
	return &MCDropout{Passes: passes, Measure: measure, Seed: seed}
}

// Name returns e.g. "mcdropout(K=8,entropy)".
func (d *MCDropout) Name() string { return fmt.Sprintf("mcdropout(K=%d,%v)", d.Passes, d.Measure) }

// ScoreImages runs the K stochastic passes and scores the mean softmax.
func (d *MCDropout) ScoreImages(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	name := d.Name()
	sm, ok := m.(StochasticModel)
	if !ok {
		return nil, fmt.Errorf("ood: %s: model %T has no stochastic forward (StochasticLogits)", name, m)
	}
	if d.Passes < 1 {
		return nil, fmt.Errorf("ood: %s: need at least one pass", name)
	}
	if d.Measure != MCEntropy && d.Measure != MCMSP {
		return nil, fmt.Errorf("ood: %s: unknown measure", name)
	}
	if err := checkImages(name, images); err != nil {
		return nil, err
	}
	if d.rng == nil {
		d.rng = rand.New(rand.NewPCG(d.Seed, 0x6d63_6472_6f70)) // "mcdrop"
	}
	var mean *tensor.Tensor
	for i := 0; i < d.Passes; i++ {
		logits, err := sm.StochasticLogits(images, d.rng)
		if err != nil {
			return nil, fmt.Errorf("ood: %s: pass %d: %w", name, i+1, err)
		}
		if err := checkLogitsFor(name, images, logits); err != nil {
			return nil, err
		}
		p := tensor.SoftmaxChannels(logits)
		if mean == nil {
			mean = p
			continue
		}
		if !tensor.SameShape(mean, p) {
			return nil, fmt.Errorf("ood: %s: pass %d returned logits %v, earlier passes %v", name, i+1, p.Shape, mean.Shape)
		}
		for j, v := range p.Data {
			mean.Data[j] += v
		}
	}
	n, k, h, w := mean.NCHW()
	hw := h * w
	out := tensor.New(n, h, w)
	invK := 1 / float64(d.Passes)
	forPixels(n, hw, func(img, i0, i1 int) {
		base := img * k * hw
		for px := i0; px < i1; px++ {
			var ent, pmax float64
			for c := 0; c < k; c++ {
				p := float64(mean.Data[base+c*hw+px]) * invK
				pmax = math.Max(pmax, p)
				if p > 0 {
					ent -= p * math.Log(p)
				}
			}
			if d.Measure == MCEntropy {
				out.Data[img*hw+px] = float32(ent)
			} else {
				out.Data[img*hw+px] = float32(-pmax)
			}
		}
	})
	return out, nil
}
