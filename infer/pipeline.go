package infer

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// Defaults of Config.
const (
	// DefaultMaxComponents caps the anomaly components listed in a
	// Summary (largest first); a noisy map can have tens of thousands.
	DefaultMaxComponents = 100
)

// Score resolutions (Config.ScoreResolution).
const (
	// ScoreResFull scores the full-resolution logits, one score per image
	// pixel: K exponentials and logarithms per pixel (the default).
	ScoreResFull = "full"
	// ScoreResNative scores the logits at the model's native resolution
	// (1/4 for seg.Model, before its bilinear upsampling) and upsamples
	// the one-channel score map bilinearly to the image; see the package
	// documentation.
	ScoreResNative = "native"
)

// ScoreResolutions lists the accepted Config.ScoreResolution values.
var ScoreResolutions = []string{ScoreResFull, ScoreResNative}

// A NativeModel computes its logits on a coarse grid and upsamples them, as
// seg.Model does (1/4 resolution, bilinear ×4, crop). ScoreResNative needs
// it: UpsampleNative(NativeLogits(x), H, W) must equal Logits(x), and
// UpsampleNative must upsample any [N,C,h',w'] map of the native grid the
// same way (the score map has C = 1).
type NativeModel = ood.NativeModel

// ParseScoreResolution returns the canonical resolution name of s: "" and
// "full" give ScoreResFull, "native" ScoreResNative.
func ParseScoreResolution(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", ScoreResFull:
		return ScoreResFull, nil
	case ScoreResNative:
		return ScoreResNative, nil
	}
	return "", fmt.Errorf("infer: score resolution %q: want %s", s, strings.Join(ScoreResolutions, " or "))
}

// ErrInput marks problems with the image given to Predict (empty, wrong
// buffer size); callers such as the HTTP server map it to a 4xx status.
var ErrInput = errors.New("infer: invalid input image")

// Config describes how a Pipeline preprocesses images, scores pixels and
// draws the layers. FromBundle fills it from a model bundle.
type Config struct {
	// Classes names the closed-set classes, one per logit channel.
	Classes []string
	// Colors gives a palette entry per class; nil selects the Cityscapes
	// palette (dataset.Palette).
	Colors [][3]uint8
	// Mean and Std normalise images as training did: (v/255 − Mean)/Std.
	Mean, Std [3]float32
	// Score names the anomaly score as package ood does: "js"
	// (NFlowJS, paper eq. 7; the default), "msp", "maxlogit", "entropy",
	// "energy", "kl" or "rkl", optionally NAME@T.
	Score string
	// Temperature > 0 replaces the score's temperature (default: the
	// NAME@T value or the default of ood's registry, 2 for js and 1 for msp).
	Temperature float32
	// Threshold δ of the outlier-aware fusion (paper Figure 4): pixels
	// with score > δ become anomalies. nil = not calibrated: no fused
	// layer and no anomalous fraction, only the closed-set segmentation
	// and the score map.
	Threshold *float32
	// ThresholdSource says where Threshold came from, for the summary
	// (e.g. "bundle: road val TPR 0.95" or "--threshold").
	ThresholdSource string
	// MaxComponents caps the listed anomaly components; 0 selects
	// DefaultMaxComponents.
	MaxComponents int
	// MaxPixels caps the input image (ErrInput beyond); 0 derives it from
	// the memory available (MemoryPixelCap(1)).
	MaxPixels int
	// ScoreResolution is where the score is computed: ScoreResFull (""
	// selects it) on the full-resolution logits, or ScoreResNative on the
	// model's native-resolution logits with the score map upsampled
	// bilinearly, ~16× less scoring work for seg.Model; the model must
	// then be a NativeModel. The closed-set argmax always uses the
	// full-resolution logits.
	ScoreResolution string
	// KeepLogits keeps the full-resolution logits in Result.Logits
	// (K×H×W floats per image; predict --save-logits).
	KeepLogits bool
}

// Pipeline runs a segmentation model on images and turns its logits into
// the closed-set segmentation, the anomaly score map and the outlier-aware
// segmentation. Predict is safe for concurrent use; calls to the model are
// serialised, since a model switches train/eval modes while it runs and
// already uses every core for one image.
type Pipeline struct {
	model  ood.Model
	cfg    Config
	score  Score
	scorer ood.LogitScorer
	native NativeModel            // non-nil with ScoreResNative
	neg    ood.NegativeClassModel // non-nil for a score of the K+1 outputs (uno)
	meta   dataset.Meta           // palette for drawing; AnomalyLabel = K, the fusion label
	mu     sync.Mutex
}

// Score is a parsed score name.
type Score struct {
	Name        string // canonical name (ood registry), e.g. "js"
	Kind        ood.Kind
	Temperature float32 // from NAME@T, else the default; 0 when unused
	// NegativeClass scores (uno) read the K+1 outputs of a model with a
	// negative class (ood.NegativeClassModel), from the same single pass.
	NegativeClass bool
}

// ParseScore parses a score name as ood.ParseScore does ("js", "nflowjs",
// "msp@10", "max-logit", ...) and keeps the logit scores: the model-based
// ones (sml, odin, mcdropout, react) need fitted statistics or extra passes
// that a single-pass predictor does not have.
func ParseScore(name string) (Score, error) {
	if strings.TrimSpace(name) == "" {
		name = "js"
	}
	sp, err := ood.ParseScore(name)
	if err != nil {
		return Score{}, fmt.Errorf("infer: %w", err)
	}
	if d := sp.Def(); d.NegativeClass {
		return Score{Name: sp.Name, Kind: d.Kind, NegativeClass: true}, nil
	}
	sc, ok := sp.Scorer()
	if !ok {
		return Score{}, fmt.Errorf("infer: score %q needs more than the logits of one pass; predict and serve support js, msp, maxlogit, entropy, energy, kl, rkl, rba and uno (NAME@T sets the temperature)", name)
	}
	return Score{Name: sp.Name, Kind: sc.Kind, Temperature: sp.Temperature()}, nil
}

// String returns e.g. "js(T=2)", or the name alone for scores without a
// temperature.
func (s Score) String() string {
	if s.Temperature == 0 {
		return s.Name
	}
	return fmt.Sprintf("%s(T=%g)", s.Name, s.Temperature)
}

// New validates cfg and returns a Pipeline over m.
func New(m ood.Model, cfg Config) (*Pipeline, error) {
	if m == nil {
		return nil, errors.New("infer: nil model")
	}
	k := len(cfg.Classes)
	if k < 2 {
		return nil, fmt.Errorf("infer: %d classes; need at least 2", k)
	}
	if k >= 254 {
		return nil, fmt.Errorf("infer: %d classes; labels are 8-bit with the anomaly label after the classes", k)
	}
	if cfg.Colors != nil && len(cfg.Colors) != k {
		return nil, fmt.Errorf("infer: %d colours for %d classes", len(cfg.Colors), k)
	}
	for c, s := range cfg.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return nil, fmt.Errorf("infer: std[%d] = %g must be positive", c, s)
		}
		if v := cfg.Mean[c]; math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("infer: mean[%d] = %g must be finite", c, v)
		}
	}
	score, err := ParseScore(cfg.Score)
	if err != nil {
		return nil, err
	}
	if t := cfg.Temperature; math.IsNaN(float64(t)) || math.IsInf(float64(t), 0) || t < 0 {
		return nil, fmt.Errorf("infer: temperature %g must be positive and finite", t)
	}
	if cfg.Temperature > 0 && score.Temperature > 0 {
		score.Temperature = cfg.Temperature
	}
	if err := CheckThreshold(cfg.Threshold); err != nil {
		return nil, err
	}
	if cfg.MaxComponents <= 0 {
		cfg.MaxComponents = DefaultMaxComponents
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = MemoryPixelCap(1)
	}
	if cfg.ScoreResolution, err = ParseScoreResolution(cfg.ScoreResolution); err != nil {
		return nil, err
	}
	var native NativeModel
	if cfg.ScoreResolution == ScoreResNative {
		var ok bool
		if native, ok = m.(NativeModel); !ok {
			return nil, fmt.Errorf("infer: score resolution %q needs a model that exposes its native-resolution logits (NativeModel); %T does not", ScoreResNative, m)
		}
	}
	var neg ood.NegativeClassModel
	if score.NegativeClass {
		if neg, err = ood.AsNegativeClassModel(m, score.Name); err != nil {
			return nil, fmt.Errorf("infer: %w", err)
		}
	}
	cfg.Classes = append([]string(nil), cfg.Classes...)
	// The score's own temperature, below 1 too (a threshold calibrated at
	// T = 0.5 must meet scores at T = 0.5); scores without one (max-logit)
	// still need a positive T, which they ignore.
	t := score.Temperature
	if t == 0 {
		t = 1
	}
	p := &Pipeline{model: m, cfg: cfg, score: score, scorer: ood.LogitScorer{Kind: score.Kind, T: t}, native: native, neg: neg}
	p.meta = dataset.Meta{Classes: cfg.Classes, Colors: cfg.Colors, IgnoreLabel: dataset.DefaultIgnoreLabel, AnomalyLabel: k}
	p.meta.Colors = dataset.Palette(&p.meta)
	return p, nil
}

// CheckThreshold rejects NaN and infinite thresholds (nil is fine).
func CheckThreshold(t *float32) error {
	if t != nil && (math.IsNaN(float64(*t)) || math.IsInf(float64(*t), 0)) {
		return fmt.Errorf("infer: threshold %g must be finite", *t)
	}
	return nil
}

// Config returns the pipeline's configuration (with defaults filled in).
func (p *Pipeline) Config() Config { return p.cfg }

// Palette returns the colour of each class as drawn (Config.Colors or the
// default palette).
func (p *Pipeline) Palette() [][3]uint8 { return append([][3]uint8(nil), p.meta.Colors...) }

// Score returns the anomaly score the pipeline computes.
func (p *Pipeline) Score() Score { return p.score }

// ScoreName returns the score and its temperature, e.g. "js(T=2)".
func (p *Pipeline) ScoreName() string { return p.score.String() }

// Result is the outcome of one image.
type Result struct {
	// Input is the image as given.
	Input *dataset.Image
	// Labels is the closed-set argmax, H·W class ids.
	Labels []uint8
	// Scores is the H·W anomaly score map, higher = more anomalous.
	Scores []float32
	// Logits are the model's [1, K, H, W] logits when Config.KeepLogits
	// is set, else nil.
	Logits *tensor.Tensor
	// Fused is the outlier-aware segmentation (class ids, K = anomaly);
	// nil when there is no threshold.
	Fused []uint8
	// Threshold is the fusion threshold used, nil if none.
	Threshold *float32
	// Range is the score interval the heatmap's colour map spans.
	Range [2]float32
	// Summary describes the result; it marshals to the JSON summary.
	Summary Summary
	// Timing of the stages.
	Timing Timing

	p *Pipeline
}

// Timing holds the duration of each stage of Predict.
type Timing struct {
	Preprocess time.Duration // HWC uint8 → normalised NCHW float32
	// Forward is the model's full-resolution logits; with ScoreResNative
	// the native logits and their upsampling, which together are the
	// same work as Logits.
	Forward time.Duration
	Argmax  time.Duration // closed-set labels (part of segmentation, not of OOD detection)
	// Score is the anomaly score map, with ScoreResNative its computation
	// on the native grid and its upsampling to the image.
	Score   time.Duration
	Fuse    time.Duration // threshold fusion
	Summary time.Duration // statistics and connected components
}

// Predict runs the model on img and fuses with the configured threshold.
func (p *Pipeline) Predict(img *dataset.Image) (*Result, error) {
	return p.PredictAt(img, p.cfg.Threshold, p.cfg.ThresholdSource)
}

// PredictAt is Predict with another threshold (nil = no fusion) and the
// source to report for it.
func (p *Pipeline) PredictAt(img *dataset.Image, threshold *float32, source string) (*Result, error) {
	if img == nil || img.W <= 0 || img.H <= 0 || len(img.Pix) != 3*img.W*img.H {
		return nil, fmt.Errorf("%w: need a non-empty RGB image", ErrInput)
	}
	if err := CheckThreshold(threshold); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if err := CheckPixels(img.W, img.H, p.cfg.MaxPixels); err != nil {
		return nil, err
	}
	r := &Result{Input: img, p: p}
	t0 := time.Now()
	x := tensor.FromData((&dataset.Sample{Image: img}).CHW(p.cfg.Mean, p.cfg.Std), 1, 3, img.H, img.W)
	t1 := time.Now()
	logits, all, native, err := p.forward(x)
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	if err := p.checkLogits(logits, img); err != nil {
		return nil, err
	}
	if err := p.scoreAndFuse(r, logits, all, native, threshold); err != nil {
		return nil, err
	}
	if p.cfg.KeepLogits {
		r.Logits = logits
	}
	r.Timing.Preprocess, r.Timing.Forward = t1.Sub(t0), t2.Sub(t1)
	t4 := time.Now()
	r.summarize(source)
	r.Timing.Summary = time.Since(t4)
	r.Summary.TimingMS = timingMS(r.Timing)
	return r, nil
}

// scoreAndFuse computes the closed-set labels, the score map and, with a
// threshold, the fused labels of r from its logits, timing each stage.
// all holds the K+1 outputs of a negative-class score (nil otherwise: the
// score reads logits). native, the native-resolution logits (K+1 outputs
// for a negative-class score), is nil unless the score resolution is
// ScoreResNative; the score is then computed from it.
func (p *Pipeline) scoreAndFuse(r *Result, logits, all, native *tensor.Tensor, threshold *float32) error {
	t0 := time.Now()
	arg, err := ood.Argmax(logits)
	if err != nil {
		return fmt.Errorf("infer: argmax: %w", err)
	}
	r.Labels = make([]uint8, len(arg))
	for i, c := range arg {
		r.Labels[i] = uint8(c)
	}
	t1 := time.Now()
	var scores *tensor.Tensor
	switch {
	case native == nil && all != nil:
		scores, err = p.scorer.Score(all)
	case native == nil:
		scores, err = p.scorer.Score(logits)
	default:
		scores, err = p.nativeScore(native, r.Input.H, r.Input.W)
	}
	if err != nil {
		return fmt.Errorf("infer: score: %w", err)
	}
	r.Scores = scores.Data
	t2 := time.Now()
	r.refuse(threshold)
	r.Timing.Argmax, r.Timing.Score, r.Timing.Fuse = t1.Sub(t0), t2.Sub(t1), time.Since(t2)
	return nil
}

// nativeScore scores native-resolution logits [1,K,h',w'] and upsamples
// the score map [1,h',w'] to h×w as the model upsamples its logits.
// Bilinear interpolation commutes with the score only for scores linear
// in the logits (none of ours), so the map differs slightly from the
// full-resolution one: it is the score of the coarse prediction, smoothly
// interpolated, rather than the score of interpolated logits.
func (p *Pipeline) nativeScore(native *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	return ood.ScoreNative(p.scorer, p.native, native, h, w)
}

// forward calls the model, one image at a time, turning a panic inside the
// model into an error so that no input can crash a long-running server.
// With ScoreResNative it runs the model once for the native-resolution
// logits and upsamples them for the full-resolution ones (the same values
// as Logits); native is nil otherwise. For a negative-class score the
// same single pass yields all K+1 outputs: all (full resolution, nil with
// ScoreResNative) and native hold them, logits the first K.
func (p *Pipeline) forward(x *tensor.Tensor) (logits, all, native *tensor.Tensor, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer func() {
		if v := recover(); v != nil {
			logits, all, native, err = nil, nil, nil, fmt.Errorf("infer: model panicked: %v", v)
		}
	}()
	k := len(p.cfg.Classes)
	outputs := k
	if p.neg != nil {
		outputs = k + 1
	}
	if p.native == nil {
		if p.neg != nil {
			all, err = p.neg.AllLogits(x)
			if err == nil {
				if err = checkOutputs(all, outputs, "logits"); err == nil {
					logits = tensor.Split(all, k, 1)[0]
				}
			}
		} else {
			logits, err = p.model.Logits(x)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("infer: forward pass: %w", err)
		}
		return logits, all, nil, nil
	}
	if p.neg != nil {
		native, err = p.neg.NativeAllLogits(x)
	} else {
		native, err = p.native.NativeLogits(x)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("infer: forward pass: %w", err)
	}
	if err := checkOutputs(native, outputs, "native logits"); err != nil {
		return nil, nil, nil, err
	}
	_, _, h, w := x.NCHW()
	logits, err = p.native.UpsampleNative(native, h, w)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("infer: upsampling the native logits: %w", err)
	}
	if p.neg != nil {
		logits = tensor.Split(logits, k, 1)[0]
	}
	return logits, nil, native, nil
}

// checkOutputs checks a model output of one image for c channels.
func checkOutputs(t *tensor.Tensor, c int, what string) error {
	if t == nil || t.Dims() != 4 || t.Shape[0] != 1 || t.Shape[1] != c {
		var got []int
		if t != nil {
			got = t.Shape
		}
		return fmt.Errorf("infer: model returned %s of shape %v, want [1,%d,h,w]", what, got, c)
	}
	return nil
}

func (p *Pipeline) checkLogits(l *tensor.Tensor, img *dataset.Image) error {
	want := []int{1, len(p.cfg.Classes), img.H, img.W}
	if l == nil || !tensor.ShapeEqual(l.Shape, want) || len(l.Data) != want[1]*want[2]*want[3] {
		var got []int
		if l != nil {
			got = l.Shape
		}
		return fmt.Errorf("infer: model returned logits of shape %v, want %v (%d classes)", got, want, want[1])
	}
	return nil
}

// refuse sets the fused labels for threshold (nil clears them). It is
// ood.Fuse computed from the stored argmax, so that changing the threshold
// does not need the logits: label K wherever score > threshold.
func (r *Result) refuse(threshold *float32) {
	r.Threshold = nil
	r.Fused = nil
	if threshold == nil {
		return
	}
	t := *threshold
	r.Threshold = &t
	r.Fused = ood.FuseLabels(r.Labels, r.Scores, t, uint8(len(r.p.cfg.Classes)))
}

// WithThreshold returns a copy of r fused at another threshold (nil = no
// fusion), without running the model again. The score map, closed-set
// labels and input are shared with r.
func (r *Result) WithThreshold(threshold *float32, source string) (*Result, error) {
	if err := CheckThreshold(threshold); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	c := *r
	c.refuse(threshold)
	c.summarize(source)
	c.Summary.TimingMS = timingMS(c.Timing)
	return &c, nil
}

func timingMS(t Timing) map[string]float64 {
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
	return map[string]float64{
		"preprocess": ms(t.Preprocess), "forward": ms(t.Forward), "argmax": ms(t.Argmax), "score": ms(t.Score),
		"fuse": ms(t.Fuse), "summary": ms(t.Summary),
	}
}
