package infer_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// The uno score in predict/serve: one pass of a model with a negative
// class gives the closed-set labels from the K inlier logits and the score
// from all K+1 outputs, at full and native resolution; a K-logit model is
// refused with the flag that makes one.
func TestUNOPipeline(t *testing.T) {
	m := newSmallSeg(t)
	u, err := seg.WithNegativeClass(m)
	if err != nil {
		t.Fatal(err)
	}
	// A non-zero negative row, so the score is not that of a zero logit.
	rng := rand.New(rand.NewPCG(9, 9))
	for name, p := range nn.StateDict(u) {
		if strings.HasPrefix(name, "decoder.logits.") {
			for i := range p.Data {
				p.Data[i] += float32(0.3 * rng.NormFloat64())
			}
		}
	}
	const w, h = 37, 21
	img := randomImage(w, h, 3)
	x := tensor.FromData((&dataset.Sample{Image: img}).CHW(infertest.Mean, infertest.Std), 1, 3, h, w)
	all, err := u.AllLogits(x)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ood.Compute(ood.UNO, all, 1)
	if err != nil {
		t.Fatal(err)
	}
	inl, _ := u.Logits(x)
	arg, _ := ood.Argmax(inl)
	for _, res := range []string{infer.ScoreResFull, infer.ScoreResNative} {
		p, err := infer.New(u, infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std,
			Score: "uno", ScoreResolution: res, Threshold: f32(0), KeepLogits: true})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Predict(img)
		if err != nil {
			t.Fatal(err)
		}
		if r.Logits.Shape[1] != 3 {
			t.Errorf("%s: kept logits %v, want the 3 inlier channels", res, r.Logits.Shape)
		}
		for i, c := range arg {
			if r.Labels[i] != uint8(c) {
				t.Fatalf("%s: label %d = %d, want %d", res, i, r.Labels[i], c)
			}
		}
		if res == infer.ScoreResFull && !equalF32(r.Scores, want.Data) {
			t.Errorf("full: scores differ from ood.Compute(UNO, AllLogits)")
		}
		for i, v := range r.Scores {
			if v < -1 || v > 1 || (res == infer.ScoreResNative && (v-want.Data[i] > 0.2 || want.Data[i]-v > 0.2)) {
				t.Fatalf("%s: score %d = %v (full-resolution %v)", res, i, v, want.Data[i])
			}
		}
		if r.Summary.ScoreRange != [2]float32{-1, 1} {
			t.Errorf("%s: score range %v, want [-1 1]", res, r.Summary.ScoreRange)
		}
	}
	_, err = infer.New(m, infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std, Score: "uno"})
	if err == nil || !strings.Contains(err.Error(), "--head uno") {
		t.Errorf("K-logit model with uno: %v", err)
	}
}
