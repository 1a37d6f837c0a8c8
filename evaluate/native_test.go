package evaluate

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// nativeScores computes, image by image and independently of RunModel, the
// score maps of the native score resolution: the score of the model's
// native-resolution logits, resized bilinearly by package tensor and
// cropped to the image, concatenated over the split.
func nativeScores(t *testing.T, m *seg.Model, s *dataset.Split, kind ood.Kind, T float32) []float32 {
	t.Helper()
	l, err := dataset.NewLoader(s, dataset.LoaderConfig{BatchSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	var out []float32
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		native, err := m.NativeLogits(tensor.FromData(b.Images, 1, 3, b.H, b.W))
		if err != nil {
			t.Fatal(err)
		}
		_, _, nh, nw := native.NCHW()
		sm, err := ood.Compute(kind, native, T)
		if err != nil {
			t.Fatal(err)
		}
		up := tensor.ResizeBilinear(tensor.FromData(sm.Data, 1, 1, nh, nw), m.FeatureStride()*nh, m.FeatureStride()*nw)
		out = append(out, tensor.Crop2d(up, 0, 0, b.H, b.W).Data...)
	}
}

// With ScoreResolution "native" the logit scores are those of the native
// logits, upsampled; the segmentation (mIoU) is that of the full-resolution
// logits, unchanged.
func TestRunNativeScoreResolution(t *testing.T) {
	m := tinyModel(t, 13)
	test := openSplit(t, "test")
	names := []string{"msp", "maxlogit", "js"}
	full, err := RunModel(m, tinyInfo(m), test, Options{Scores: names, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	nat, err := RunModel(m, tinyInfo(m), test, Options{Scores: names, BatchSize: 3, ScoreResolution: "native"})
	if err != nil {
		t.Fatal(err)
	}
	if nat.MIoU != full.MIoU || nat.Pixels != full.Pixels || nat.Anomalies != full.Anomalies {
		t.Errorf("segmentation differs: native mIoU %v pixels %d/%d, full %v %d/%d",
			nat.MIoU, nat.Pixels, nat.Anomalies, full.MIoU, full.Pixels, full.Anomalies)
	}
	_, labels := loadDirect(t, m, test).scores(t, ood.MSP, 1)
	differ := false
	for i, c := range []struct {
		kind ood.Kind
		T    float32
	}{{ood.MSP, 1}, {ood.MaxLogit, 1}, {ood.NFlowJS, 2}} {
		want, err := metrics.Evaluate(nativeScores(t, m, test, c.kind, c.T), labels, 32*64, metrics.Options{Ignore: 255})
		if err != nil {
			t.Fatal(err)
		}
		got := nat.Scores[i]
		if !near(got.AP, want.AP) || !near(got.FPR95, want.FPR95) || !near(got.AUROC, want.AUROC) {
			t.Errorf("%s: got AP %v FPR95 %v AUROC %v, want %v %v %v", got.Score, got.AP, got.FPR95, got.AUROC,
				want.AP, want.FPR95, want.AUROC)
		}
		differ = differ || got.AP != full.Scores[i].AP
	}
	if !differ {
		t.Error("native and full scores give the same APs; the test does not tell them apart")
	}
}

// plainModel hides seg.Model's native-resolution methods.
type plainModel struct{ m *seg.Model }

func (p plainModel) Logits(x *tensor.Tensor) (*tensor.Tensor, error) { return p.m.Logits(x) }

func TestNativeScoreResolutionErrors(t *testing.T) {
	m := tinyModel(t, 13)
	test := openSplit(t, "test")
	if _, err := RunModel(m, tinyInfo(m), test, Options{Scores: []string{"js"}, ScoreResolution: "half"}); err == nil ||
		!strings.Contains(err.Error(), "full or native") {
		t.Errorf("unknown resolution: %v", err)
	}
	if _, err := RunModel(plainModel{m}, tinyInfo(m), test, Options{Scores: []string{"js"}, ScoreResolution: "native"}); err == nil ||
		!strings.Contains(err.Error(), "native-resolution logits") {
		t.Errorf("model without native logits: %v", err)
	}
}
