package ood

import (
	"math"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// UNO by hand on 2 inlier classes + the negative channel:
//   - logits (0, 0, 0): p = 1/3 each, uno = 1/3 − 1/3 = 0;
//   - (ln 2, 0, ln 2): p = (2, 1, 2)/5, uno = 2/5 − 2/5 = 0;
//   - (0, 0, ln 2): p = (1, 1, 2)/4, uno = 1/2 − 1/4 = 1/4;
//   - (ln 3, 0, 0): p = (3, 1, 1)/5, uno = 1/5 − 3/5 = −2/5;
//   - (−30, −30, 30): the negative class takes it all, uno → 1.
func TestUNOByHand(t *testing.T) {
	l2, l3 := float32(math.Ln2), float32(math.Log(3))
	logits := []float32{
		0, l2, 0, l3, -30, // class 0
		0, 0, 0, 0, -30, // class 1
		0, l2, l2, 0, 30, // negative class
	}
	got, err := Compute(UNO, tensor.FromData(logits, 1, 3, 1, 5), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 0, 0.25, -0.4, 1}
	for i, w := range want {
		if math.Abs(float64(got.Data[i])-w) > 1e-6 {
			t.Errorf("pixel %d: uno %v, want %v", i, got.Data[i], w)
		}
	}
	sp, err := ParseScore("uno")
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi, ok := sp.Bounds(2); !ok || lo != -1 || hi != 1 {
		t.Errorf("bounds %v %v %v, want [-1, 1]", lo, hi, ok)
	}
	if _, ok := sp.Scorer(); ok {
		t.Error("uno offered as a K-logit scorer: it would read the last inlier class as the negative one")
	}
}

// negModel is a model with a negative class whose AllLogits are fixed.
type negModel struct {
	all *tensor.Tensor
	neg bool
}

func (m negModel) Logits(*tensor.Tensor) (*tensor.Tensor, error) { return nil, nil }
func (m negModel) HasNegativeClass() bool                        { return m.neg }
func (m negModel) AllLogits(*tensor.Tensor) (*tensor.Tensor, error) {
	return m.all, nil
}
func (m negModel) NativeAllLogits(*tensor.Tensor) (*tensor.Tensor, error) { return m.all, nil }

func TestUNOScorer(t *testing.T) {
	all := tensor.FromData([]float32{0, 0, 0, 0, 0, float32(math.Ln2)}, 1, 3, 1, 2)
	got, err := UNOScorer{}.ScoreImages(negModel{all: all, neg: true}, tensor.New(1, 3, 1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(got.Data[0])) > 1e-7 || math.Abs(float64(got.Data[1])-0.25) > 1e-6 {
		t.Errorf("uno %v, want [0 0.25]", got.Data)
	}
	_, err = UNOScorer{}.ScoreImages(negModel{all: all}, tensor.New(1, 3, 1, 2))
	if err == nil || !strings.Contains(err.Error(), "--head uno") {
		t.Errorf("model without a negative class: %v", err)
	}
}

func TestUNOErrors(t *testing.T) {
	if _, err := Compute(UNO, tensor.New(1, 1, 2, 2), 1); err == nil || !strings.Contains(err.Error(), "K+1") {
		t.Errorf("one channel: %v", err)
	}
	nan := tensor.FromData([]float32{float32(math.NaN()), 0}, 1, 2, 1, 1)
	if got, err := Compute(UNO, nan, 1); err != nil || !math.IsNaN(float64(got.Data[0])) {
		t.Errorf("NaN logit gave %v, %v; want NaN", got, err)
	}
}
