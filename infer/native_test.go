package infer_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// newSmallSeg is a randomly initialised 3-class segmentation model small
// enough for unit tests (stride 16, logits at 1/4).
func newSmallSeg(t testing.TB) *seg.Model {
	t.Helper()
	cfg := seg.Config{NumClasses: 3, StemWidth: 8, Growth: 4, BlockLayers: []int{1, 2, 1}, Bottleneck: 2,
		Compression: 0.5, SPPWidth: 8, SPPGrids: []int{1, 2}, DecoderWidth: 8}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(4, 2)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomImage(w, h int, seed uint64) *dataset.Image {
	rng := rand.New(rand.NewPCG(seed, 0))
	img := dataset.NewImage(w, h)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The native score resolution must give exactly the score of the model's
// 1/4-resolution logits, bilinearly resized ×4 by package tensor and cropped
// to the image, with the closed-set labels of the full-resolution logits
// and the fusion of the two; the default must stay the score of the
// full-resolution logits.
func TestNativeScoreResolution(t *testing.T) {
	m := newSmallSeg(t)
	for _, sz := range [][2]int{{37, 21}, {64, 32}} { // padded, and a multiple of the stride
		w, h := sz[0], sz[1]
		img := randomImage(w, h, uint64(w))
		x := tensor.FromData((&dataset.Sample{Image: img}).CHW(infertest.Mean, infertest.Std), 1, 3, h, w)
		full, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		// Reference, built from the parts: score on the native grid, then
		// resize and crop.
		native, err := m.NativeLogits(x)
		if err != nil {
			t.Fatal(err)
		}
		_, _, nh, nw := native.NCHW()
		low, err := ood.JSAnomaly(native, ood.DefaultT)
		if err != nil {
			t.Fatal(err)
		}
		up := tensor.ResizeBilinear(tensor.FromData(low.Data, 1, 1, nh, nw), m.FeatureStride()*nh, m.FeatureStride()*nw)
		want := tensor.Crop2d(up, 0, 0, h, w).Data
		fullScores, err := ood.JSAnomaly(full, ood.DefaultT)
		if err != nil {
			t.Fatal(err)
		}
		arg, err := ood.Argmax(full)
		if err != nil {
			t.Fatal(err)
		}
		// A threshold at the median native score makes both outcomes common.
		thr := want[len(want)/2]

		results := map[string]*infer.Result{}
		for _, res := range []string{"", infer.ScoreResFull, infer.ScoreResNative} {
			p, err := infer.New(m, infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std,
				Score: "js", Threshold: &thr, ScoreResolution: res})
			if err != nil {
				t.Fatal(err)
			}
			r, err := p.Predict(img)
			if err != nil {
				t.Fatal(err)
			}
			wantRes := res
			if wantRes == "" {
				wantRes = infer.ScoreResFull
			}
			if p.Config().ScoreResolution != wantRes || r.Summary.ScoreResolution != wantRes {
				t.Errorf("%dx%d %q: config %q, summary %q", w, h, res, p.Config().ScoreResolution, r.Summary.ScoreResolution)
			}
			for i, c := range arg {
				if int32(r.Labels[i]) != c {
					t.Fatalf("%dx%d %q: label %d = %d, want the full-resolution argmax %d", w, h, res, i, r.Labels[i], c)
				}
			}
			fused, err := ood.Fuse(full, tensor.FromData(r.Scores, 1, h, w), thr)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range fused {
				if r.Fused[i] != c {
					t.Fatalf("%dx%d %q: fused %d = %d, want ood.Fuse's %d", w, h, res, i, r.Fused[i], c)
				}
			}
			results[wantRes] = r
		}
		if !equalF32(results[infer.ScoreResNative].Scores, want) {
			t.Errorf("%dx%d: native scores differ from resize(score(native logits))", w, h)
		}
		if !equalF32(results[infer.ScoreResFull].Scores, fullScores.Data) {
			t.Errorf("%dx%d: full scores differ from score(Logits)", w, h)
		}
		if equalF32(results[infer.ScoreResNative].Scores, fullScores.Data) {
			t.Errorf("%dx%d: native and full scores coincide; the test does not tell them apart", w, h)
		}
	}
}

func TestScoreResolutionErrors(t *testing.T) {
	cfg := infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std, ScoreResolution: "quarter"}
	if _, err := infer.New(newSmallSeg(t), cfg); err == nil || !strings.Contains(err.Error(), "full or native") {
		t.Errorf("unknown resolution: %v", err)
	}
	// The stand-in model has no native grid.
	cfg.ScoreResolution = "Native"
	if _, err := infer.New(&infertest.ChannelModel{}, cfg); err == nil || !strings.Contains(err.Error(), "NativeModel") {
		t.Errorf("native with a model without native logits: %v", err)
	}
	for in, want := range map[string]string{"": "full", " FULL ": "full", "native": "native"} {
		if got, err := infer.ParseScoreResolution(in); err != nil || got != want {
			t.Errorf("ParseScoreResolution(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// A bundle takes the resolution from the overrides and keeps its
// calibrated threshold.
func TestBundleScoreResolution(t *testing.T) {
	dir := saveTinyBundle(t, "js", f32(-0.3))
	p, _, err := infer.Load(dir, infer.Overrides{ScoreResolution: infer.ScoreResNative})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Config()
	if c.ScoreResolution != infer.ScoreResNative || c.Threshold == nil || *c.Threshold != -0.3 {
		t.Errorf("config %+v", c)
	}
	r, err := p.Predict(infertest.Scene(37, 21, 5, 5, 4))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scores) != 37*21 || r.Fused == nil || r.Summary.ScoreResolution != "native" {
		t.Errorf("result %+v", r.Summary)
	}
}
