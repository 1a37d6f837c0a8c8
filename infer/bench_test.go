package infer

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// benchLogits returns 1×19×1024×2048 logits ~ N(0, 3²), the shape of the
// predict bench workload.
func benchLogits() *tensor.Tensor {
	const k, h, w = 19, 1024, 2048
	r := rand.New(rand.NewPCG(0, 0))
	l := tensor.New(1, k, h, w)
	for i := range l.Data {
		l.Data[i] = float32(r.NormFloat64() * 3)
	}
	return l
}

// BenchmarkPostForward times the stages after the forward pass on a
// full-HD logit map: the NFlowJS score, the argmax, the threshold fusion
// and the summary (statistics + components).
func BenchmarkPostForward(b *testing.B) {
	logits := benchLogits()
	classes := make([]string, 19)
	for i := range classes {
		classes[i] = string(rune('a' + i))
	}
	p, err := New(constModel{logits}, Config{Classes: classes, Mean: [3]float32{}, Std: [3]float32{1, 1, 1}, Score: "js"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("js", func(b *testing.B) {
		for b.Loop() {
			if _, err := ood.JSAnomaly(logits, 2); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("argmax", func(b *testing.B) {
		for b.Loop() {
			if _, err := ood.Argmax(logits); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("score+fuse", func(b *testing.B) {
		thr := float32(-0.1)
		for b.Loop() {
			if err := p.scoreAndFuse(&Result{p: p}, logits, nil, nil, &thr); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("summary", func(b *testing.B) {
		thr := float32(-0.1)
		r := &Result{p: p, Input: &dataset.Image{W: 2048, H: 1024}}
		if err := p.scoreAndFuse(r, logits, nil, nil, &thr); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			r.summarize("bench")
		}
		b.ReportMetric(float64(r.Summary.ComponentsTotal), "components")
	})
	// ScoreResNative: the score on 1/4-resolution logits, upsampled ×4.
	native := tensor.ResizeBilinear(logits, 256, 512)
	pn, err := New(constNativeModel{native}, Config{Classes: classes, Mean: [3]float32{}, Std: [3]float32{1, 1, 1},
		Score: "js", ScoreResolution: ScoreResNative})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("score+fuse/native", func(b *testing.B) {
		thr := float32(-0.1)
		r := &Result{p: pn, Input: &dataset.Image{W: 2048, H: 1024}}
		for b.Loop() {
			if err := pn.scoreAndFuse(r, logits, nil, native, &thr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type constModel struct{ l *tensor.Tensor }

func (m constModel) Logits(*tensor.Tensor) (*tensor.Tensor, error) { return m.l, nil }

// constNativeModel returns fixed native logits and upsamples ×4 without
// padding, as seg.Model does for sizes divisible by its stride.
type constNativeModel struct{ l *tensor.Tensor }

func (m constNativeModel) Logits(*tensor.Tensor) (*tensor.Tensor, error) {
	_, _, h, w := m.l.NCHW()
	return tensor.ResizeBilinear(m.l, 4*h, 4*w), nil
}

func (m constNativeModel) NativeLogits(*tensor.Tensor) (*tensor.Tensor, error) { return m.l, nil }

func (m constNativeModel) UpsampleNative(x *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	return tensor.ResizeBilinear(x, h, w), nil
}
