package ood

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
)

// A Scorer turns the NCHW logits of a batch into an N x H x W anomaly-score
// map, higher = more anomalous. Logit-only scores (every Kind, SML)
// implement it.
type Scorer interface {
	Name() string
	Score(logits *tensor.Tensor) (*tensor.Tensor, error)
}

// A Model produces NCHW logits for an NCHW image batch. Scores that need
// the network (MC dropout runs it several times with dropout on, ODIN and
// ReAct need gradients or activations) receive the model rather than
// logits; such a scorer may require its model to implement further
// interfaces (an input-gradient method for ODIN, say) and should check them
// with a type assertion and return an error when they are missing.
type Model interface {
	Logits(images *tensor.Tensor) (*tensor.Tensor, error)
}

// A ModelScorer scores an image batch with access to the model.
type ModelScorer interface {
	Name() string
	ScoreImages(m Model, images *tensor.Tensor) (*tensor.Tensor, error)
}

// LogitScorer is the Scorer of one Kind at temperature T.
type LogitScorer struct {
	Kind Kind
	T    float32
}

// Name returns the kind and temperature, e.g. "nflowjs(T=2)".
func (s LogitScorer) Name() string { return fmt.Sprintf("%v(T=%g)", s.Kind, s.T) }

// Score computes the score map.
func (s LogitScorer) Score(logits *tensor.Tensor) (*tensor.Tensor, error) {
	return Compute(s.Kind, logits, s.T)
}

// OnImages adapts a logit Scorer to a ModelScorer: one forward pass, then s.
func OnImages(s Scorer) ModelScorer { return imageScorer{s} }

type imageScorer struct{ s Scorer }

func (a imageScorer) Name() string { return a.s.Name() }

func (a imageScorer) ScoreImages(m Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	logits, err := m.Logits(images)
	if err != nil {
		return nil, fmt.Errorf("ood: %s: forward pass: %w", a.s.Name(), err)
	}
	return a.s.Score(logits)
}
