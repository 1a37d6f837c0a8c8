package infer_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

func f32(v float32) *float32 { return &v }

func newPipeline(t testing.TB, m ood.Model, thr *float32) *infer.Pipeline {
	t.Helper()
	p, err := infer.New(m, infer.Config{Classes: infertest.Classes, Colors: infertest.Colors,
		Mean: infertest.Mean, Std: infertest.Std, Score: "js", Threshold: thr, ThresholdSource: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The gray square of the scene is the only anomaly: it must come out as one
// component with the exact box, and the bands as their classes.
func TestPredictFindsTheGraySquare(t *testing.T) {
	const w, h, x0, y0, s = 60, 30, 25, 8, 6
	p := newPipeline(t, &infertest.ChannelModel{}, f32(-0.05))
	r, err := p.Predict(infertest.Scene(w, h, x0, y0, s))
	if err != nil {
		t.Fatal(err)
	}
	sum := r.Summary
	if sum.Width != w || sum.Height != h || sum.Score != "js(T=2)" {
		t.Errorf("summary header %+v", sum)
	}
	if *sum.AnomalousPixels != s*s || math.Abs(*sum.AnomalousFraction-float64(s*s)/(w*h)) > 1e-12 {
		t.Errorf("anomalous %d (%v), want %d", *sum.AnomalousPixels, *sum.AnomalousFraction, s*s)
	}
	if sum.ComponentsTotal != 1 || len(sum.Components) != 1 {
		t.Fatalf("components %+v", sum.Components)
	}
	c := sum.Components[0]
	if c.Pixels != s*s || c.BBox != [4]int{x0, y0, x0 + s - 1, y0 + s - 1} || c.Centroid != [2]float64{x0 + 2.5, y0 + 2.5} {
		t.Errorf("component %+v", c)
	}
	if c.MeanScore < -1e-3 || c.MaxScore > 1e-6 {
		t.Errorf("gray pixels should score ≈ 0 (uniform softmax): %+v", c)
	}
	if want := float32(-ood.JSMax(3)); sum.ScoreRange != [2]float32{want, 0} {
		t.Errorf("js colour range %v, want [%v 0]", sum.ScoreRange, want)
	}
	for _, tc := range []struct{ x, y, want int }{{0, 0, 0}, {30, 0, 1}, {59, 29, 2}, {x0, y0, 3}} {
		if got := r.Fused[tc.y*w+tc.x]; int(got) != tc.want {
			t.Errorf("fused (%d,%d) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
	}
	if r.Labels[y0*w+x0] > 2 {
		t.Errorf("closed-set label %d is not a class", r.Labels[y0*w+x0])
	}
	if sum.Warning != "" || sum.ThresholdSource != "test" {
		t.Errorf("warning %q source %q", sum.Warning, sum.ThresholdSource)
	}
}

// The pipeline's fusion (from the stored argmax) equals ood.Fuse on the
// logits, on random logits where ties and near-threshold scores occur.
func TestFusionMatchesOODFuse(t *testing.T) {
	img := dataset.NewImage(37, 11)
	for i := range img.Pix {
		img.Pix[i] = uint8((i*7919 + i/3*104729) % 256)
	}
	m := &infertest.ChannelModel{Gain: 1.5}
	p := newPipeline(t, m, f32(-0.02))
	r, err := p.Predict(img)
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(tensor.FromData((&dataset.Sample{Image: img}).CHW(infertest.Mean, infertest.Std), 1, 3, 11, 37))
	scores, _ := ood.JSAnomaly(logits, 2)
	want, err := ood.Fuse(logits, scores, -0.02)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Fused, want) {
		t.Error("fused labels differ from ood.Fuse")
	}
	if !slices.Equal(r.Scores, scores.Data) {
		t.Error("scores differ from ood.JSAnomaly")
	}
	// Re-fusing without the model gives what a fresh run gives.
	r2, err := r.WithThreshold(f32(-0.2), "slider")
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := p.PredictAt(img, f32(-0.2), "slider")
	if !slices.Equal(r2.Fused, fresh.Fused) || *r2.Summary.AnomalousPixels != *fresh.Summary.AnomalousPixels {
		t.Error("WithThreshold differs from PredictAt")
	}
	if *r.Summary.AnomalousPixels == *r2.Summary.AnomalousPixels {
		t.Error("lowering the threshold should add anomalies")
	}
	if m.Calls.Load() != 3 { // Predict, the direct Logits call, PredictAt
		t.Errorf("model called %d times", m.Calls.Load())
	}
}

func TestNoThreshold(t *testing.T) {
	p := newPipeline(t, &infertest.ChannelModel{}, nil)
	r, err := p.Predict(infertest.Scene(30, 20, 3, 3, 4))
	if err != nil {
		t.Fatal(err)
	}
	if r.Fused != nil || r.Summary.AnomalousFraction != nil || r.Summary.Threshold != nil {
		t.Error("fusion without a threshold")
	}
	if r.Summary.Warning != infer.NoThresholdWarning {
		t.Errorf("warning %q", r.Summary.Warning)
	}
	if _, err := r.PNG(infer.LayerFused); !errors.Is(err, infer.ErrNoThreshold) {
		t.Errorf("fused layer without threshold: %v", err)
	}
	dir := t.TempDir()
	paths, err := r.WriteFiles(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"x_seg.png", "x_ood.png", "x_overlay.png", "x.json"}; !slices.Equal(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "x.json"))
	if !strings.Contains(string(b), `"threshold": null`) || !strings.Contains(string(b), "no calibrated threshold") {
		t.Errorf("summary JSON:\n%s", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d files in the output dir (temporary files left?)", len(entries))
	}
	// Outputs are ordinary shared files (they were created 0600).
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v (%v), want 0644", p, fi.Mode().Perm(), err)
		}
	}
}

func TestLayers(t *testing.T) {
	const w, h = 120, 40
	p := newPipeline(t, &infertest.ChannelModel{}, f32(-0.05))
	r, err := p.Predict(infertest.Scene(w, h, 50, 10, 8))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range infer.Layers {
		b, err := r.PNG(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		img, err := dataset.DecodeImage(b)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		wantH := h
		if l == infer.LayerOOD {
			wantH = h + 18 // legend strip
		}
		if img.W != w || img.H != wantH {
			t.Errorf("%s is %dx%d, want %dx%d", l, img.W, img.H, w, wantH)
		}
	}
	px := func(l infer.Layer, x, y int) [3]uint8 {
		b, _ := r.PNG(l)
		c, err := infertest.At(b, x, y)
		if err != nil {
			t.Fatal(err)
		}
		return [3]uint8{c.R, c.G, c.B}
	}
	if got := px(infer.LayerSeg, 0, 0); got != infertest.Colors[0] {
		t.Errorf("seg (0,0) = %v, want the red class colour", got)
	}
	if got := px(infer.LayerFused, 53, 13); got != infer.AnomalyColor {
		t.Errorf("fused anomaly pixel = %v, want %v", got, infer.AnomalyColor)
	}
	if got := px(infer.LayerOOD, 53, 13); got != infer.Inferno(1) {
		t.Errorf("heatmap of the anomaly = %v, want the top of the colour map %v", got, infer.Inferno(1))
	}
	if got := px(infer.LayerScore, 53, 13); got != [3]uint8{255, 255, 255} {
		t.Errorf("score layer of the anomaly = %v", got)
	}
	// Overlay: anomalies nearly opaque cyan over gray 128.
	if got := px(infer.LayerOverlay, 53, 13); got[0] > 40 || got[1] < 200 || got[2] < 200 {
		t.Errorf("overlay anomaly pixel = %v", got)
	}
	// Legend colour bar runs from the bottom to the top of the map.
	if got := px(infer.LayerOOD, 0, h); got != infer.Inferno(0) {
		t.Errorf("legend left = %v", got)
	}
	if got := px(infer.LayerOOD, w-1, h); got != infer.Inferno(1) {
		t.Errorf("legend right = %v", got)
	}
	if _, err := infer.ParseLayer("nope"); err == nil {
		t.Error("ParseLayer accepted an unknown layer")
	}
}

// Any size works, including 1x1 and odd sizes, and JPEG input.
func TestOddSizesAndJPEG(t *testing.T) {
	p := newPipeline(t, &infertest.ChannelModel{}, f32(-0.05))
	for _, sz := range [][2]int{{1, 1}, {7, 13}, {13, 7}, {2, 1}} {
		img := infertest.Scene(sz[0], sz[1], 0, 0, 1)
		r, err := p.Predict(img)
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		for _, l := range infer.Layers {
			if _, err := r.PNG(l); err != nil {
				t.Fatalf("%v %s: %v", sz, l, err)
			}
		}
		if _, err := json.Marshal(r.Summary); err != nil {
			t.Fatal(err)
		}
	}
	img, err := dataset.DecodeImage(infertest.JPEG(infertest.Scene(64, 32, 20, 10, 8)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Predict(img)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.ComponentsTotal < 1 || r.Summary.Components[0].Pixels < 40 {
		t.Errorf("JPEG scene: components %+v", r.Summary.Components)
	}
}

type nanModel struct{}

func (nanModel) Logits(x *tensor.Tensor) (*tensor.Tensor, error) {
	out := tensor.New(x.Shape...)
	for i := range out.Data {
		switch i % 3 {
		case 0:
			out.Data[i] = float32(math.NaN())
		case 1:
			out.Data[i] = float32(math.Inf(1))
		}
	}
	return out, nil
}

type shapeModel struct{ shape []int }

func (m shapeModel) Logits(*tensor.Tensor) (*tensor.Tensor, error) {
	return tensor.New(m.shape...), nil
}

func TestErrors(t *testing.T) {
	img := infertest.Scene(8, 4, 0, 0, 1)
	for name, m := range map[string]ood.Model{
		"panic":      infertest.PanicModel{},
		"fail":       &infertest.ChannelModel{Fail: errors.New("boom")},
		"bad shape":  shapeModel{[]int{1, 3, 4, 4}},
		"bad shape2": shapeModel{[]int{3, 4, 8}},
	} {
		p := newPipeline(t, m, nil)
		if _, err := p.Predict(img); err == nil || !strings.HasPrefix(err.Error(), "infer: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	p := newPipeline(t, &infertest.ChannelModel{}, nil)
	for name, im := range map[string]*dataset.Image{
		"nil": nil, "empty": {}, "short": {W: 4, H: 4, Pix: make([]uint8, 10)},
	} {
		if _, err := p.Predict(im); !errors.Is(err, infer.ErrInput) {
			t.Errorf("%s image: %v", name, err)
		}
	}
	if _, err := p.PredictAt(img, f32(float32(math.NaN())), ""); !errors.Is(err, infer.ErrInput) {
		t.Errorf("NaN threshold: %v", err)
	}
	base := infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std}
	for name, mod := range map[string]func(c *infer.Config){
		"one class":  func(c *infer.Config) { c.Classes = c.Classes[:1] },
		"colours":    func(c *infer.Config) { c.Colors = c.Colors[:0:0]; c.Colors = append(c.Colors, [3]uint8{}) },
		"zero std":   func(c *infer.Config) { c.Std[1] = 0 },
		"score":      func(c *infer.Config) { c.Score = "nope" },
		"threshold":  func(c *infer.Config) { c.Threshold = f32(float32(math.Inf(1))) },
		"nan temp":   func(c *infer.Config) { c.Temperature = float32(math.NaN()) },
		"nan mean":   func(c *infer.Config) { c.Mean[0] = float32(math.NaN()) },
		"255 labels": func(c *infer.Config) { c.Classes = make([]string, 254) },
	} {
		c := base
		c.Classes = slices.Clone(base.Classes)
		mod(&c)
		if _, err := infer.New(&infertest.ChannelModel{}, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := infer.New(nil, base); err == nil {
		t.Error("nil model accepted")
	}
}

// A diverged model's NaN/Inf scores never break the JSON summary.
func TestNonFiniteScores(t *testing.T) {
	p := newPipeline(t, nanModel{}, f32(0))
	r, err := p.Predict(infertest.Scene(9, 5, 0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(r.Summary); err != nil {
		t.Fatalf("summary does not marshal: %v", err)
	}
	for _, l := range infer.Layers {
		if _, err := r.PNG(l); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParseScore(t *testing.T) {
	for in, want := range map[string]infer.Score{
		"js":        {Name: "js", Kind: ood.NFlowJS, Temperature: 2},
		"nflowjs":   {Name: "js", Kind: ood.NFlowJS, Temperature: 2},
		"":          {Name: "js", Kind: ood.NFlowJS, Temperature: 2},
		"MSP":       {Name: "msp", Kind: ood.MSP, Temperature: 1},
		"msp@10":    {Name: "msp", Kind: ood.MSP, Temperature: 10},
		"max-logit": {Name: "maxlogit", Kind: ood.MaxLogit},
		"energy":    {Name: "energy", Kind: ood.Energy, Temperature: 1},
		"kl":        {Name: "kl", Kind: ood.KLUniform, Temperature: 2},
		"rkl@3":     {Name: "rkl", Kind: ood.ReverseKL, Temperature: 3},
	} {
		if got, err := infer.ParseScore(in); err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"odin", "sml", "react", "mcdropout@4", "nope", "js@-1"} {
		if _, err := infer.ParseScore(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	cfg := infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std, Score: "msp@10"}
	p, _ := infer.New(&infertest.ChannelModel{}, cfg)
	if p.ScoreName() != "msp(T=10)" {
		t.Errorf("msp@10 name %s", p.ScoreName())
	}
	cfg.Temperature = 4
	p, _ = infer.New(&infertest.ChannelModel{}, cfg)
	if p.ScoreName() != "msp(T=4)" {
		t.Errorf("temperature override: %s", p.ScoreName())
	}
	// Unbounded scores colour over the image's own range.
	cfg = infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std, Score: "maxlogit"}
	p, _ = infer.New(&infertest.ChannelModel{}, cfg)
	r, err := p.Predict(infertest.Scene(30, 10, 5, 5, 3))
	if err != nil {
		t.Fatal(err)
	}
	if p.ScoreName() != "maxlogit" || r.Summary.ScoreRange != [2]float32{r.Summary.ScoreMin, r.Summary.ScoreMax} {
		t.Errorf("%s range %v, min %v max %v", p.ScoreName(), r.Summary.ScoreRange, r.Summary.ScoreMin, r.Summary.ScoreMax)
	}
}

// Concurrent Predict calls are safe (run with -race).
func TestConcurrentPredict(t *testing.T) {
	p := newPipeline(t, &infertest.ChannelModel{}, f32(-0.05))
	done := make(chan error)
	for i := 0; i < 4; i++ {
		go func() {
			_, err := p.Predict(infertest.Scene(40, 20, 10, 5, 4))
			done <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// A threshold that flags most of the image says the score does not
// separate it from the calibration inliers: the summary must warn.
func TestOverFlagWarning(t *testing.T) {
	p := newPipeline(t, &infertest.ChannelModel{}, f32(-0.2))
	img := infertest.Scene(30, 20, 3, 3, 4)
	r, err := p.Predict(img)
	if err != nil {
		t.Fatal(err)
	}
	if *r.Summary.AnomalousFraction > infer.OverFlagFraction || r.Summary.Warning != "" {
		t.Fatalf("fraction %v warning %q", *r.Summary.AnomalousFraction, r.Summary.Warning)
	}
	// Every JS score is >= -JSmax, so this threshold flags every pixel.
	all, err := r.WithThreshold(f32(-10), "low")
	if err != nil {
		t.Fatal(err)
	}
	if *all.Summary.AnomalousFraction != 1 || !strings.Contains(all.Summary.Warning, "flags 100% of this image") {
		t.Errorf("fraction %v warning %q", *all.Summary.AnomalousFraction, all.Summary.Warning)
	}
}

// A temperature below 1 (js@0.5, or Config.Temperature 0.5) is the one the
// scores are computed at, as evaluate and calibrate compute them, so a
// threshold calibrated at T = 0.5 applies unchanged.
func TestTemperatureBelowOne(t *testing.T) {
	img := infertest.Scene(30, 20, 3, 3, 4)
	m := &infertest.ChannelModel{Gain: 1.5}
	logits, err := m.Logits(tensor.FromData((&dataset.Sample{Image: img}).CHW(infertest.Mean, infertest.Std), 1, 3, 20, 30))
	if err != nil {
		t.Fatal(err)
	}
	want, err := ood.JSAnomaly(logits, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []infer.Config{{Score: "js@0.5"}, {Score: "js", Temperature: 0.5}} {
		cfg.Classes, cfg.Colors, cfg.Mean, cfg.Std = infertest.Classes, infertest.Colors, infertest.Mean, infertest.Std
		p, err := infer.New(m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Predict(img)
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Score != "js(T=0.5)" {
			t.Errorf("%+v: score reported as %q", cfg, r.Summary.Score)
		}
		if !slices.Equal(r.Scores, want.Data) {
			t.Errorf("%+v: scores are not JS at T = 0.5", cfg)
		}
	}
}

// An image over the pixel cap is refused with the memory it would need
// (predict and serve bound their memory this way).
func TestPixelCap(t *testing.T) {
	p, err := infer.New(&infertest.ChannelModel{}, infer.Config{Classes: infertest.Classes, Colors: infertest.Colors,
		Mean: infertest.Mean, Std: infertest.Std, MaxPixels: 30 * 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Predict(infertest.Scene(30, 20, 3, 3, 4)); err != nil {
		t.Fatalf("image at the cap: %v", err)
	}
	_, err = p.Predict(infertest.Scene(31, 20, 3, 3, 4))
	if !errors.Is(err, infer.ErrInput) || !strings.Contains(err.Error(), "GiB") {
		t.Errorf("image over the cap: %v", err)
	}
	if c := infer.MemoryPixelCap(1); c <= 0 || c > dataset.MaxPixels {
		t.Errorf("memory pixel cap %d", c)
	}
	if a, b := infer.MemoryPixelCap(1), infer.MemoryPixelCap(4); b > a {
		t.Errorf("cap for 4 concurrent predictions %d above the cap for one %d", b, a)
	}
}
