package infer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nflowjs/nflowjs/models/seg"
)

// Overrides replace a bundle's defaults; zero values keep them.
type Overrides struct {
	// Score replaces BundleInfo.Score (a name ParseScore accepts).
	Score string
	// Temperature > 0 replaces the temperature.
	Temperature float32
	// Threshold replaces the calibrated threshold.
	Threshold *float32
	// ThresholdSource describes Threshold in summaries (default "given").
	ThresholdSource string
	// ScoreResolution sets Config.ScoreResolution ("" = full). A bundle
	// does not store one; its calibrated threshold, computed on
	// full-resolution scores, is kept (see the package documentation).
	ScoreResolution string
	// MaxPixels sets Config.MaxPixels (0: derived from available memory).
	MaxPixels int
	// KeepLogits sets Config.KeepLogits.
	KeepLogits bool
}

// FromBundle builds the Pipeline of a trained model bundle: its
// normalisation, classes and colours, score and temperature, and its
// calibrated threshold, each unless overridden. A calibrated threshold
// belongs to the bundle's score at the bundle's temperature, so it is
// dropped when either is overridden without a new threshold.
func FromBundle(b *seg.Bundle, o Overrides) (*Pipeline, error) {
	if b == nil || b.Model == nil {
		return nil, fmt.Errorf("infer: nil bundle")
	}
	info := b.Info
	name := info.Score
	if o.Score != "" {
		name = o.Score
	}
	sc, err := ParseScore(name)
	if err != nil {
		if o.Score == "" {
			return nil, fmt.Errorf("infer: bundle %s: %w (choose one with --score)", b.Dir, err)
		}
		return nil, err
	}
	// The bundle's temperature belongs to the bundle's score; NAME@T or an
	// explicit temperature replace it.
	bundleSc, bundleErr := ParseScore(info.Score)
	sameScore := bundleErr == nil && bundleSc.Name == sc.Name
	t := sc.Temperature
	if sameScore && sc.Temperature > 0 && !strings.Contains(name, "@") {
		t = info.Temperature
	}
	if o.Temperature > 0 && sc.Temperature > 0 {
		t = o.Temperature
	}
	cfg := Config{Classes: info.Classes, Colors: info.Colors, Mean: info.Mean, Std: info.Std,
		Score: sc.Name, Temperature: t, ScoreResolution: o.ScoreResolution, MaxPixels: o.MaxPixels, KeepLogits: o.KeepLogits}
	switch {
	case o.Threshold != nil:
		cfg.Threshold, cfg.ThresholdSource = o.Threshold, o.ThresholdSource
		if cfg.ThresholdSource == "" {
			cfg.ThresholdSource = "given"
		}
	case info.Threshold != nil && sameScore && (sc.Temperature == 0 || t == info.Temperature):
		// A calibrated threshold is valid only for the score and
		// temperature it was calibrated with.
		cfg.Threshold, cfg.ThresholdSource = info.Threshold, "bundle"
		if info.CalibratedOn != "" {
			cfg.ThresholdSource += ": " + info.CalibratedOn
		}
	}
	p, err := New(b.Model, cfg)
	if err != nil {
		return nil, fmt.Errorf("infer: bundle %s: %w", b.Dir, err)
	}
	return p, nil
}

// Load reads the bundle in dir (seg.LoadBundle) and builds its Pipeline.
// dir may also name one of the bundle's two files.
func Load(dir string, o Overrides) (*Pipeline, *seg.Bundle, error) {
	if base := filepath.Base(dir); base == seg.InfoFile || base == seg.WeightsFile {
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
	}
	b, err := seg.LoadBundle(dir)
	if err != nil {
		return nil, nil, err
	}
	p, err := FromBundle(b, o)
	if err != nil {
		return nil, nil, err
	}
	return p, b, nil
}
