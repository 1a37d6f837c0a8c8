package infer_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/models/seg"
)

// saveTinyBundle writes a randomly initialised tiny-preset bundle.
func saveTinyBundle(t *testing.T, score string, thr *float32) string {
	t.Helper()
	cfg, err := seg.PresetConfig("tiny", 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	info := seg.NewInfo(m, infertest.Classes, score, "closed")
	info.Threshold, info.CalibratedOn = thr, "unit test"
	dir := t.TempDir()
	if err := seg.SaveBundle(dir, m, info); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadBundle(t *testing.T) {
	dir := saveTinyBundle(t, "js", f32(-0.3))
	p, b, err := infer.Load(dir, infer.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ScoreName() != "js(T=2)" || *p.Config().Threshold != -0.3 || p.Config().ThresholdSource != "bundle: unit test" {
		t.Errorf("pipeline %s %+v", p.ScoreName(), p.Config())
	}
	// Any size: the model pads to its stride internally.
	r, err := p.Predict(infertest.Scene(37, 21, 5, 5, 4))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scores) != 37*21 || r.Fused == nil || r.Summary.ThresholdSource != "bundle: unit test" {
		t.Errorf("result %+v", r.Summary)
	}
	_ = b
	for _, sz := range [][2]int{{1, 1}, {3, 50}, {50, 3}} {
		r, err := p.Predict(infertest.Scene(sz[0], sz[1], 0, 0, 1))
		if err != nil {
			t.Fatalf("%v: %v", sz, err)
		}
		if len(r.Labels) != sz[0]*sz[1] {
			t.Errorf("%v: %d labels", sz, len(r.Labels))
		}
	}

	// The bundle's model.json names the bundle too.
	if _, _, err := infer.Load(filepath.Join(dir, seg.InfoFile), infer.Overrides{}); err != nil {
		t.Errorf("load via model.json: %v", err)
	}
	// Overriding the score drops the calibrated threshold (it belongs to js).
	p, _, err = infer.Load(dir, infer.Overrides{Score: "msp"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Config().Threshold != nil || p.ScoreName() != "msp(T=1)" {
		t.Errorf("msp override: %s %v", p.ScoreName(), p.Config().Threshold)
	}
	// ... unless a threshold is given.
	p, _, err = infer.Load(dir, infer.Overrides{Score: "msp", Threshold: f32(-0.5), ThresholdSource: "--threshold"})
	if err != nil {
		t.Fatal(err)
	}
	if *p.Config().Threshold != -0.5 || p.Config().ThresholdSource != "--threshold" {
		t.Errorf("given threshold: %+v", p.Config())
	}
	// The same score by another name keeps the bundle's threshold.
	p, _, _ = infer.Load(dir, infer.Overrides{Score: "nflowjs"})
	if p.Config().Threshold == nil {
		t.Error("nflowjs = js lost the threshold")
	}
	// A new temperature drops it, by flag or by NAME@T.
	for _, o := range []infer.Overrides{{Temperature: 5}, {Score: "js@5"}} {
		p, _, _ = infer.Load(dir, o)
		if p.Config().Threshold != nil || p.ScoreName() != "js(T=5)" {
			t.Errorf("%+v: %s %v", o, p.ScoreName(), p.Config().Threshold)
		}
	}
	// js@2 is the bundle's own setting: the threshold stays.
	p, _, _ = infer.Load(dir, infer.Overrides{Score: "js@2"})
	if p.Config().Threshold == nil {
		t.Error("js@2 lost the threshold")
	}
}

func TestLoadBundleErrors(t *testing.T) {
	if _, _, err := infer.Load(t.TempDir(), infer.Overrides{}); err == nil || !strings.Contains(err.Error(), "model.json") {
		t.Errorf("empty dir: %v", err)
	}
	dir := saveTinyBundle(t, "js", nil)
	if _, _, err := infer.Load(dir, infer.Overrides{Score: "odin"}); err == nil {
		t.Error("odin accepted")
	}
	// A bundle calibrated for a model-based score needs --score.
	b, err := seg.LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	b.Info.Score = "sml"
	if _, err := infer.FromBundle(b, infer.Overrides{}); err == nil || !strings.Contains(err.Error(), "--score") {
		t.Errorf("sml bundle: %v", err)
	}
	if p, err := infer.FromBundle(b, infer.Overrides{Score: "js"}); err != nil || p.Config().Threshold != nil {
		t.Errorf("sml bundle with --score js: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, seg.WeightsFile), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := infer.Load(dir, infer.Overrides{}); err == nil || !strings.Contains(err.Error(), seg.WeightsFile) {
		t.Errorf("corrupt weights: %v", err)
	}
	if _, err := infer.FromBundle(nil, infer.Overrides{}); err == nil {
		t.Error("nil bundle accepted")
	}
}
