package evaluate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// Defaults of Options.
const (
	DefaultBatchSize = 4
	// OverFlagFraction: an image in which the threshold flags more than
	// this share of the pixels counts in ScoreResult.OverFlagged (the
	// same rule as infer.OverFlagFraction).
	OverFlagFraction = 0.5
	DefaultTPR       = 0.95 // open-mIoU threshold: TPR 95% on the calibration split (DenseHybrid, paper section 4.2)
	DefaultFitImages = 32   // training images sampled to fit ReAct and SML
)

// Info describes the evaluated model: its class count, its input
// normalisation and, optionally, a stored calibration (as in a bundle's
// model.json).
type Info struct {
	Name       string // shown in reports (e.g. the run directory)
	NumClasses int
	Mean, Std  [3]float32 // input normalisation; zero = ImageNet (dataset.DefaultMean/Std)
	// A stored calibration: the open-mIoU of score Score (at Temperature)
	// uses Threshold when Options.CalibSplit is nil.
	Score        string
	Temperature  float32
	Threshold    *float32
	CalibratedOn string
}

// Options configure RunModel and CalibrateModel. The zero value evaluates
// segmentation only (no scores), pooled, with the exact metrics engine.
type Options struct {
	// Scores to evaluate (see ood.ScoreNames, ood.ParseScore).
	Scores []string
	// Protocol aggregates the pixel metrics: metrics.Pooled (default, all
	// pixels of the split together, as SMIYC and Fishyscapes) or
	// metrics.PerImage (mean over images with both anomaly and inlier
	// pixels, as StreetHazards; needs equal image sizes).
	Protocol metrics.Protocol
	// Engine is metrics.EngineExact (default) or metrics.EngineStreaming.
	Engine metrics.Engine
	// BatchSize is the number of images per forward pass (default 4).
	BatchSize int
	// Workers decode images in the background (default: all cores).
	Workers int
	// MaxImages, if positive, evaluates only that many images of each split,
	// evenly spaced (for quick looks; 0 = all).
	MaxImages int

	// CalibSplit (typically val) calibrates, for every score, the
	// threshold reaching TPR on its anomaly pixels; the test split's
	// outlier-aware segmentation then gives open-mIoU. Nil: only the stored
	// calibration of Info (if its score is evaluated) gives open-mIoU.
	CalibSplit *dataset.Split
	// TPR is the calibration's true-positive rate (default 0.95).
	TPR float64
	// FPR, if positive, calibrates thresholds (Calibrate, CalibrateModel
	// and Run's open-mIoU) to flag at most this fraction of the
	// calibration split's inlier pixels instead of reaching TPR on its
	// anomalies (ood.CalibrateThresholdFPR; no anomalies needed).
	FPR float64

	// FitSplit (typically train) provides the images ReAct and SML are
	// fitted on: FitImages of them (default 32), evenly spaced.
	FitSplit  *dataset.Split
	FitImages int

	// ODINTemperature (<= 0: 1000) and ODINEps (0: 0.0014; negative: no
	// perturbation, temperature scaling only) configure "odin"; score
	// "odin@T" overrides T.
	ODINTemperature float32
	ODINEps         float32
	// MCPasses (<= 0: 8) and MCMeasure configure "mcdropout"; score
	// "mcdropout@K" overrides K.
	MCPasses  int
	MCMeasure ood.MCMeasure
	// ReActPercentile (<= 0: 0.9) configures "react"; "react@c" overrides it.
	ReActPercentile float64
	// Seed drives MC dropout's masks and ReAct's reservoir sample.
	Seed uint64

	// ScoreResolution is where the scores computed from logits (the logit
	// scores and sml) are evaluated: "full" ("" selects it) on the
	// full-resolution logits, or "native" on the model's native-resolution
	// logits (1/4 for seg.Model) with each score map upsampled bilinearly
	// to the image as the model upsamples its logits, the cheaper mode of
	// `nflowjs predict --score-res native` (package infer). Native needs a
	// model with NativeLogits and UpsampleNative methods (seg.Model). The
	// argmax, mIoU and the fusion for open-mIoU keep the full-resolution
	// logits; odin, mcdropout and react are unaffected.
	ScoreResolution string

	// ExportSMIYC, if set, is a directory that receives every score's
	// maps in the layout the SegmentMeIfYouCan evaluation reads:
	// ExportSMIYC/anomaly_p/METHOD/DATASET/FRAME.hdf5, an H×W float16
	// dataset "value" in [0, 1] (the score mapped as for the SMIYC
	// protocols). METHOD is ExportMethod, or "nflowjs-SCORE".
	ExportSMIYC  string
	ExportMethod string

	// Explain adds to every score an Explanation of its FPR95: where the
	// false positives and the missed anomaly pixels at 95% TPR are.
	Explain bool

	// Progress, if non-nil, receives progress bars.
	Progress io.Writer
}

func (o *Options) setDefaults() error {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.TPR == 0 {
		o.TPR = DefaultTPR
	}
	if !(o.TPR > 0 && o.TPR <= 1) {
		return fmt.Errorf("evaluate: TPR %v outside (0, 1]", o.TPR)
	}
	if !(o.FPR >= 0 && o.FPR < 1) {
		return fmt.Errorf("evaluate: FPR %v outside [0, 1)", o.FPR)
	}
	if o.FitImages <= 0 {
		o.FitImages = DefaultFitImages
	}
	if o.ReActPercentile <= 0 {
		o.ReActPercentile = ood.DefaultReActPercentile
	}
	if o.ReActPercentile > 1 {
		return fmt.Errorf("evaluate: ReAct percentile %v outside (0, 1]", o.ReActPercentile)
	}
	if o.MCPasses <= 0 {
		o.MCPasses = ood.DefaultMCPasses
	}
	if o.ODINTemperature <= 0 {
		o.ODINTemperature = ood.DefaultODINTemperature
	}
	switch {
	case o.ODINEps == 0:
		o.ODINEps = ood.DefaultODINEps
	case o.ODINEps < 0 || math.IsNaN(float64(o.ODINEps)):
		o.ODINEps = 0
	}
	if o.Protocol < metrics.Pooled || o.Protocol > metrics.Fishyscapes {
		return fmt.Errorf("evaluate: unknown protocol %d", o.Protocol)
	}
	if o.Engine != metrics.EngineExact && o.Engine != metrics.EngineStreaming {
		return fmt.Errorf("evaluate: unknown metrics engine %d", o.Engine)
	}
	switch strings.ToLower(strings.TrimSpace(o.ScoreResolution)) {
	case "", scoreResFull:
		o.ScoreResolution = scoreResFull
	case scoreResNative:
		o.ScoreResolution = scoreResNative
	default:
		return fmt.Errorf("evaluate: score resolution %q: want %s or %s", o.ScoreResolution, scoreResFull, scoreResNative)
	}
	return nil
}

// Values of Options.ScoreResolution (package infer's ScoreResFull and
// ScoreResNative).
const (
	scoreResFull   = "full"
	scoreResNative = "native"
)

// ScoreResult holds the metrics of one score.
type ScoreResult struct {
	Score  string `json:"score"`  // as requested, canonical (e.g. "js", "react@0.99")
	Detail string `json:"detail"` // the scorer with its settings (e.g. "nflowjs(T=2)")
	// Temperature of the score (logit scores and ODIN; 0 otherwise).
	Temperature float32 `json:"temperature,omitempty"`
	AP          float64 `json:"ap"`
	FPR95       float64 `json:"fpr95"`
	AUROC       float64 `json:"auroc"`
	// Images evaluated (PerImage: images with both anomaly and inlier pixels).
	Images int `json:"images"`
	// Bounds on the distance to the exact metrics (streaming engine only).
	Bounds *metrics.Bounds `json:"error_bound,omitempty"`
	// ScoreRange is, for the SMIYC protocols, the [lo, hi] the score was
	// mapped from onto their [0, 1] by (s − lo)/(hi − lo): the score's
	// natural bounds, or the split's minimum and maximum for an
	// unbounded score.
	ScoreRange *[2]float32 `json:"score_range,omitempty"`
	// Threshold of the outlier-aware segmentation (score > Threshold =
	// anomaly) and where it came from; OpenMIoU is nil without one.
	Threshold       *float32 `json:"threshold,omitempty"`
	ThresholdSource string   `json:"threshold_source,omitempty"`
	OpenMIoU        *float64 `json:"open_miou,omitempty"`
	// FlaggedFraction is the share of all test pixels over the threshold
	// and OverFlagged the number of images in which it flags more than
	// OverFlagFraction of the pixels (what predict and serve warn about);
	// both nil/0 without a threshold.
	FlaggedFraction *float64 `json:"flagged_fraction,omitempty"`
	OverFlagged     int      `json:"over_flagged_images,omitempty"`
	// MsPerImage is the time spent in the scorer per test image, excluding
	// the shared forward pass for logit scores.
	MsPerImage float64 `json:"ms_per_image"`
	// Explain is set with Options.Explain.
	Explain *Explanation `json:"explain,omitempty"`
}

// ClassIoU is the closed-set IoU of one class.
type ClassIoU struct {
	Class string  `json:"class"`
	IoU   float64 `json:"iou"`
}

// Report is the result of RunModel.
type Report struct {
	Model      string  `json:"model,omitempty"`
	Dataset    string  `json:"dataset"`
	Split      string  `json:"split"`
	CalibSplit string  `json:"calib_split,omitempty"`
	TPR        float64 `json:"tpr,omitempty"`
	Protocol   string  `json:"protocol"`
	Engine     string  `json:"engine"`
	Images     int     `json:"images"`
	// Pixels counts the non-void pixels of the OOD evaluation, Anomalies
	// the anomaly pixels among them.
	Pixels    int64 `json:"pixels"`
	Anomalies int64 `json:"anomaly_pixels"`
	// MIoU is the closed-set mIoU over the K classes (anomaly, unknown and
	// void pixels excluded).
	MIoU     float64       `json:"miou"`
	ClassIoU []ClassIoU    `json:"class_iou"`
	Scores   []ScoreResult `json:"scores"`
	// ForwardMsPerImage is the time of the plain forward pass per image.
	ForwardMsPerImage float64 `json:"forward_ms_per_image"`
}

// Label encodings used internally: OOD labels are 1 (anomaly), 0 (inlier,
// including the dataset's unknown label) and voidLabel; segmentation labels
// are 0..K-1 (K = anomaly in the open-set matrix) and voidLabel.
const voidLabel = metrics.DefaultIgnore

// oodLabels converts dataset labels to OOD labels.
func oodLabels(dst, src []uint8, meta *dataset.Meta) {
	for i, l := range src {
		switch int(l) {
		case meta.AnomalyLabel:
			dst[i] = 1
		case meta.IgnoreLabel:
			dst[i] = voidLabel
		default:
			dst[i] = 0
		}
	}
}

// segLabels converts dataset labels to the closed-set (open false) or
// open-set (anomaly -> k) ground truth; unknown and void pixels are void.
func segLabels(dst, src []uint8, k int, meta *dataset.Meta, open bool) {
	for i, l := range src {
		switch {
		case int(l) < k:
			dst[i] = l
		case open && int(l) == meta.AnomalyLabel:
			dst[i] = uint8(k)
		default:
			dst[i] = voidLabel
		}
	}
}

// checkSplit verifies that a split exists and matches the model's classes.
func checkSplit(what string, s *dataset.Split, info *Info) error {
	if s == nil {
		return fmt.Errorf("evaluate: no %s split", what)
	}
	if s.Meta == nil {
		return fmt.Errorf("evaluate: %s split %q has no dataset description", what, s.Name)
	}
	if k := len(s.Meta.Classes); k != info.NumClasses {
		return fmt.Errorf("evaluate: class-count mismatch: the model has %d classes, dataset %q has %d (%s split %q)",
			info.NumClasses, s.Meta.Name, k, what, s.Name)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("evaluate: %s split: %w", what, err)
	}
	if s.Len() == 0 {
		return fmt.Errorf("evaluate: %s split %q is empty", what, s.Name)
	}
	return nil
}

// batchFn receives one batch: the image tensor, its logits and the score
// maps of the pass's scorers (in order).
type batchFn func(b *dataset.Batch, logits *tensor.Tensor, scores []*tensor.Tensor) error

// pass runs m and the scorers over a split, batch by batch.
func (e *evaluator) pass(split *dataset.Split, phase string, scorers []*scorer, fn batchFn) error {
	loader, err := dataset.NewLoader(split, dataset.LoaderConfig{
		BatchSize: e.opt.BatchSize, Workers: e.opt.Workers, Mean: e.info.Mean, Std: e.info.Std,
	})
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if e.opt.Progress != nil {
		bar = progressbar.NewOptions(split.Len(), progressbar.OptionSetWriter(e.opt.Progress),
			progressbar.OptionSetDescription(phase), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("img"), progressbar.OptionClearOnFinish())
		defer bar.Close()
	}
	it := loader.Epoch(context.Background(), 0)
	defer it.Close()
	k := e.info.NumClasses
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		images := tensor.FromData(b.Images, b.N, 3, b.H, b.W)
		t0 := time.Now()
		logits, native, all, nativeAll, err := e.logits(images)
		if err != nil {
			return fmt.Errorf("evaluate: forward pass on %s: %w", b.IDs[0], err)
		}
		e.forward += time.Since(t0)
		if logits == nil || !tensor.ShapeEqual(logits.Shape, []int{b.N, k, b.H, b.W}) {
			var got []int
			if logits != nil {
				got = logits.Shape
			}
			if len(got) == 4 && got[1] != k {
				return fmt.Errorf("evaluate: class-count mismatch: the model declares %d classes but returns %d logits per pixel", k, got[1])
			}
			return fmt.Errorf("evaluate: model returned logits of shape %v for a %dx3x%dx%d batch, want %v", got, b.N, b.H, b.W, []int{b.N, k, b.H, b.W})
		}
		maps := make([]*tensor.Tensor, len(scorers))
		for i, s := range scorers {
			t0 := time.Now()
			var out *tensor.Tensor
			in, nat := logits, native
			if s.all {
				in, nat = all, nativeAll
			}
			switch {
			case s.logit != nil && nat != nil:
				out, err = e.nativeScore(s.logit, nat, b.H, b.W)
			case s.logit != nil:
				out, err = s.logit.Score(in)
			default:
				out, err = s.model.ScoreImages(e.model, images)
			}
			if err != nil {
				return fmt.Errorf("evaluate: score %s: %w", s.spec, err)
			}
			if len(out.Data) != b.N*b.H*b.W {
				return fmt.Errorf("evaluate: score %s returned %d values for %d pixels", s.spec, len(out.Data), b.N*b.H*b.W)
			}
			s.elapsed += time.Since(t0)
			maps[i] = out
		}
		if err := fn(b, logits, maps); err != nil {
			return err
		}
		if bar != nil {
			_ = bar.Add(b.N)
		}
	}
}

// logits returns the full-resolution logits of a batch and, with the native
// score resolution, the native-resolution ones they are upsampled from (one
// forward pass either way); native is nil otherwise. When a score reads
// the K+1 outputs of a negative-class model (uno), the same pass yields
// them too (all, and nativeAll with the native resolution), logits and
// native being their first K channels; both are nil otherwise.
func (e *evaluator) logits(images *tensor.Tensor) (logits, native, all, nativeAll *tensor.Tensor, err error) {
	k := e.info.NumClasses
	switch {
	case e.native == nil && e.neg == nil:
		logits, err = e.model.Logits(images)
		return logits, nil, nil, nil, err
	case e.native == nil:
		if all, err = e.neg.AllLogits(images); err != nil {
			return nil, nil, nil, nil, err
		}
		return inlierChannels(all, k), nil, all, nil, nil
	case e.neg == nil:
		native, err = e.native.NativeLogits(images)
	default:
		nativeAll, err = e.neg.NativeAllLogits(images)
		native = inlierChannels(nativeAll, k)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if native == nil || native.Dims() != 4 {
		return nil, nil, nil, nil, errors.New("model returned no 4-D native logits")
	}
	_, _, h, w := images.NCHW()
	if nativeAll == nil {
		logits, err = e.native.UpsampleNative(native, h, w)
		return logits, native, nil, nil, err
	}
	if all, err = e.native.UpsampleNative(nativeAll, h, w); err != nil {
		return nil, nil, nil, nil, err
	}
	return inlierChannels(all, k), native, all, nativeAll, nil
}

// inlierChannels returns the first k channels of a model's K+1 outputs (a
// copy; t itself when it has no more than k, so that the shape check
// reports a model that returned too few).
func inlierChannels(t *tensor.Tensor, k int) *tensor.Tensor {
	if t == nil || t.Dims() != 4 || t.Shape[1] <= k {
		return t
	}
	return tensor.Split(t, k, t.Shape[1]-k)[0]
}

// nativeScore scores native-resolution logits [N,K,h',w'] and upsamples
// the maps to h×w as the model upsamples its logits.
func (e *evaluator) nativeScore(s ood.Scorer, native *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	return ood.ScoreNative(s, e.native, native, h, w)
}

// evaluator carries one evaluation's state.
type evaluator struct {
	native  ood.NativeModel        // non-nil with the native score resolution
	neg     ood.NegativeClassModel // non-nil when a score reads the K+1 outputs (uno)
	model   ood.Model
	info    Info
	opt     Options
	specs   []Spec
	fitted  map[string]ood.ModelScorer // react@c and sml, by Spec.String()
	sml     *ood.SML
	forward time.Duration
}

// scorer is one score of one pass. Model scorers are rebuilt per pass so
// MC dropout's masks on the test split do not depend on whether a
// calibration pass ran first.
type scorer struct {
	spec    Spec
	detail  string
	temp    float32
	logit   ood.Scorer
	all     bool // logit scores the K+1 outputs of a negative-class model
	model   ood.ModelScorer
	elapsed time.Duration
}

func (e *evaluator) newScorers() ([]*scorer, error) {
	out := make([]*scorer, len(e.specs))
	for i, sp := range e.specs {
		s := &scorer{spec: sp, temp: specTemperature(sp, &e.opt)}
		ls, isLogit := sp.Scorer()
		switch {
		case isLogit:
			s.logit = ls
		case sp.Name == "sml" && e.sml != nil:
			s.logit = e.sml
		case sp.Def().NegativeClass:
			// From the pass's K+1 outputs, not a second forward pass.
			s.logit, s.all = ood.LogitScorer{Kind: sp.Def().Kind, T: 1}, true
		case sp.Name == "odin":
			s.model = ood.ODIN{T: s.temp, Eps: e.opt.ODINEps}
		case sp.Name == "mcdropout":
			k := e.opt.MCPasses
			if sp.Value > 0 {
				k = int(sp.Value)
			}
			s.model = ood.NewMCDropout(k, e.opt.MCMeasure, e.opt.Seed)
		case isFeatureFitted(sp.Name) && e.fitted[sp.String()] != nil:
			s.model = e.fitted[sp.String()]
		}
		if s.logit == nil && s.model == nil {
			return nil, fmt.Errorf("evaluate: score %s was not fitted", sp)
		}
		if s.all {
			s.detail = sp.Name
		} else if s.logit != nil {
			s.detail = s.logit.Name()
		} else {
			s.detail = s.model.Name()
		}
		out[i] = s
	}
	return out, nil
}

func (e *evaluator) reactPercentile(sp Spec) float64 {
	if sp.Value > 0 {
		return sp.Value
	}
	return e.opt.ReActPercentile
}

// isFeatureFitted reports whether a score is a model scorer fitted on
// training features (react, and mahalanobis, vim and knn on a labelled
// feature sample).
func isFeatureFitted(name string) bool {
	switch name {
	case "react", "mahalanobis", "vim", "knn":
		return true
	}
	return false
}

// fit estimates ReAct's clipping thresholds, SML's class statistics and
// the feature-space scores' statistics on FitImages images of the fit
// split, in one pass.
func (e *evaluator) fit() error {
	// One activation sample serves every ReAct percentile, one labelled
	// feature sample every Mahalanobis, ViM and kNN score.
	var reacts, featureScores []Spec
	var reactFit *ood.ReActFit
	var smlFit *ood.SMLFit
	var sample *ood.FeatureSample
	for _, sp := range e.specs {
		switch sp.Name {
		case "react":
			if reactFit == nil {
				f, err := ood.NewReActFit(e.reactPercentile(sp), 0, e.opt.Seed)
				if err != nil {
					return fmt.Errorf("evaluate: score %s: %w", sp, err)
				}
				reactFit = f
			}
			reacts = append(reacts, sp)
		case "sml":
			smlFit = ood.NewSMLFit(e.info.NumClasses)
		case "mahalanobis", "vim", "knn":
			if sample == nil {
				sample = ood.NewFeatureSample(e.info.NumClasses, 0, e.opt.Seed)
			}
			featureScores = append(featureScores, sp)
		}
	}
	if reactFit == nil && smlFit == nil && sample == nil {
		return nil
	}
	if e.opt.FitSplit == nil {
		return errors.New("evaluate: scores react, sml, mahalanobis, vim and knn are fitted on training images: set a fit split (train)")
	}
	if err := checkSplit("fit", e.opt.FitSplit, &e.info); err != nil {
		return err
	}
	fm, isFM := e.model.(ood.FeatureModel)
	if (reactFit != nil || sample != nil) && !isFM {
		return fmt.Errorf("evaluate: react, mahalanobis, vim and knn need pre-logit features, which model %T does not expose", e.model)
	}
	split := e.opt.FitSplit.EvenSubset(e.opt.FitImages)
	err := e.pass(split, "fit "+split.Name, nil, func(b *dataset.Batch, logits *tensor.Tensor, _ []*tensor.Tensor) error {
		if smlFit != nil {
			if err := smlFit.Add(logits); err != nil {
				return err
			}
		}
		if reactFit == nil && sample == nil {
			return nil
		}
		feat, err := fm.Features(tensor.FromData(b.Images, b.N, 3, b.H, b.W))
		if err != nil {
			return fmt.Errorf("evaluate: features: %w", err)
		}
		if sample != nil {
			if err := sample.Add(feat, b.Labels, b.H, b.W); err != nil {
				return fmt.Errorf("evaluate: %w", err)
			}
		}
		if reactFit == nil {
			return nil
		}
		return reactFit.AddFeatures(feat)
	})
	if err != nil {
		return err
	}
	e.forward = 0
	e.fitted = map[string]ood.ModelScorer{}
	for _, sp := range reacts {
		r, err := reactFit.FinishAt(e.reactPercentile(sp))
		if err != nil {
			return err
		}
		e.fitted[sp.String()] = r
	}
	for _, sp := range featureScores {
		var ms ood.ModelScorer
		var err error
		switch sp.Name {
		case "mahalanobis":
			ms, err = ood.NewMahalanobis(sample)
		case "knn":
			ms, err = ood.NewKNN(sample, int(sp.Value), 0)
		case "vim":
			lh, ok := e.model.(ood.LinearHeadModel)
			if !ok {
				return fmt.Errorf("evaluate: vim needs the model's linear head, which model %T does not expose", e.model)
			}
			w, bias, ok := lh.LinearHead()
			if !ok {
				return fmt.Errorf("evaluate: vim needs a head that is one linear map of the features; this model's is not")
			}
			ms, err = ood.NewViM(sample, w, bias)
		}
		if err != nil {
			return fmt.Errorf("evaluate: score %s: %w", sp, err)
		}
		e.fitted[sp.String()] = ms
	}
	if smlFit != nil {
		if e.sml, err = smlFit.Finish(); err != nil {
			return err
		}
	}
	return nil
}

// collect runs the scorers over a split and returns their score maps
// (concatenated over images) with the OOD labels.
func (e *evaluator) collect(split *dataset.Split, phase string) ([][]float32, []uint8, error) {
	scorers, err := e.newScorers()
	if err != nil {
		return nil, nil, err
	}
	scores := make([][]float32, len(scorers))
	var labels []uint8
	err = e.pass(split, phase, scorers, func(b *dataset.Batch, _ *tensor.Tensor, maps []*tensor.Tensor) error {
		n := len(labels)
		labels = append(labels, make([]uint8, len(b.Labels))...)
		oodLabels(labels[n:], b.Labels, split.Meta)
		for i, m := range maps {
			scores[i] = append(scores[i], m.Data...)
		}
		return nil
	})
	return scores, labels, err
}

func newEvaluator(m ood.Model, info Info, opt Options) (*evaluator, error) {
	if m == nil {
		return nil, errors.New("evaluate: nil model")
	}
	if info.NumClasses < 1 || info.NumClasses >= 250 {
		return nil, fmt.Errorf("evaluate: model has %d classes; want 1..249", info.NumClasses)
	}
	if err := opt.setDefaults(); err != nil {
		return nil, err
	}
	specs, err := ood.ParseScores(opt.Scores)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	e := &evaluator{model: m, info: info, opt: opt, specs: specs}
	for _, sp := range specs {
		if sp.Def().NegativeClass {
			if e.neg, err = ood.AsNegativeClassModel(m, sp.String()); err != nil {
				return nil, fmt.Errorf("evaluate: %w", err)
			}
		}
	}
	if opt.ScoreResolution == scoreResNative {
		nm, ok := m.(ood.NativeModel)
		if !ok {
			return nil, fmt.Errorf("evaluate: score resolution %q needs a model with native-resolution logits (NativeLogits, UpsampleNative); %T has none", scoreResNative, m)
		}
		e.native = nm
	}
	return e, nil
}

// RunModel evaluates model m on split: closed-set mIoU, and for every score
// of opt.Scores the pixel-level AP, FPR95 and AUROC of anomaly detection
// (anomaly pixels positive; inlier and unknown-label pixels negative; void
// excluded) and, when a threshold is available, the open-mIoU of the
// outlier-aware segmentation (ood.Fuse). m runs in evaluation mode via
// ood.Model.Logits; model-based scores need the interfaces of package ood
// (GradModel for odin, StochasticModel for mcdropout, FeatureModel for
// react). Results are deterministic for a given model, data and Options.
func RunModel(m ood.Model, info Info, split *dataset.Split, opt Options) (*Report, error) {
	e, err := newEvaluator(m, info, opt)
	if err != nil {
		return nil, err
	}
	opt = e.opt
	if err := checkSplit("evaluation", split, &info); err != nil {
		return nil, err
	}
	split = split.EvenSubset(opt.MaxImages)
	if err := e.fit(); err != nil {
		return nil, err
	}

	// Thresholds for open-mIoU.
	thresholds := make([]*float32, len(e.specs))
	sources := make([]string, len(e.specs))
	if opt.CalibSplit != nil && len(e.specs) > 0 {
		if err := checkSplit("calibration", opt.CalibSplit, &info); err != nil {
			return nil, err
		}
		cs := opt.CalibSplit.EvenSubset(opt.MaxImages)
		scores, labels, err := e.collect(cs, "calibrate "+cs.Name)
		if err != nil {
			return nil, err
		}
		for i := range e.specs {
			var thr float32
			if opt.FPR > 0 {
				thr, err = ood.CalibrateThresholdFPR(scores[i], labels, voidLabel, opt.FPR)
			} else {
				thr, err = ood.CalibrateThreshold(scores[i], labels, voidLabel, opt.TPR)
			}
			if err != nil {
				return nil, fmt.Errorf("evaluate: calibrating %s on %s split %q: %w", e.specs[i], cs.Meta.Name, cs.Name, err)
			}
			thresholds[i] = &thr
			sources[i] = calibratedOn(cs, opt)
		}
	} else if info.Threshold != nil {
		for i, sp := range e.specs {
			if specMatches(sp, info.Score, info.Temperature, &opt) {
				thr := *info.Threshold
				thresholds[i] = &thr
				sources[i] = "model.json"
				if info.CalibratedOn != "" {
					sources[i] += " (" + info.CalibratedOn + ")"
				}
			}
		}
	}

	scorers, err := e.newScorers()
	if err != nil {
		return nil, err
	}
	e.forward = 0
	k := info.NumClasses
	closed := metrics.NewConfusion(k)
	open := make([]*metrics.Confusion, len(scorers))
	flagged, overFlagged := make([]int, len(scorers)), make([]int, len(scorers))
	totalPixels := 0
	for i := range open {
		if thresholds[i] != nil {
			open[i] = metrics.NewConfusion(k + 1)
		}
	}
	scores := make([][]float32, len(scorers))
	var labels []uint8
	imageSize, sameSize, nImages := -1, true, 0
	var frameSizes []int
	var frames []exportFrame
	var facts *pixelFacts
	if opt.Explain {
		facts = &pixelFacts{}
	}
	meta := split.Meta
	err = e.pass(split, "eval "+split.Name, scorers, func(b *dataset.Batch, logits *tensor.Tensor, maps []*tensor.Tensor) error {
		hw := b.H * b.W
		if imageSize < 0 {
			imageSize = hw
		}
		sameSize = sameSize && imageSize == hw
		nImages += b.N
		for j := range b.N {
			frameSizes = append(frameSizes, hw)
			frames = append(frames, exportFrame{id: b.IDs[j], h: b.H, w: b.W})
		}
		totalPixels += b.N * hw
		arg, err := ood.Argmax(logits)
		if err != nil {
			return err
		}
		pred := make([]uint8, len(arg))
		for i, c := range arg {
			pred[i] = uint8(c)
		}
		gt := make([]uint8, len(b.Labels))
		segLabels(gt, b.Labels, k, meta, false)
		if err := closed.Add(gt, pred, voidLabel); err != nil {
			return err
		}
		if facts != nil {
			facts.add(gt, pred, b.Labels, b.N, b.H, b.W)
		}
		segLabels(gt, b.Labels, k, meta, true)
		for i, m := range maps {
			scores[i] = append(scores[i], m.Data...)
			if open[i] == nil {
				continue
			}
			for j := range b.N {
				n := 0
				for _, v := range m.Data[j*hw : (j+1)*hw] {
					if v > *thresholds[i] {
						n++
					}
				}
				flagged[i] += n
				if float64(n) > OverFlagFraction*float64(hw) {
					overFlagged[i]++
				}
			}
			fused, err := ood.Fuse(logits, m, *thresholds[i])
			if err != nil {
				return err
			}
			if err := open[i].Add(gt, fused, voidLabel); err != nil {
				return err
			}
		}
		n := len(labels)
		labels = append(labels, make([]uint8, len(b.Labels))...)
		oodLabels(labels[n:], b.Labels, meta)
		return nil
	})
	if err != nil {
		return nil, err
	}

	rep := &Report{
		Model: info.Name, Dataset: meta.Name, Split: split.Name, Protocol: protocolName(opt.Protocol),
		Engine: engineName(opt.Protocol, opt.Engine), Images: nImages, MIoU: closed.MIoU(),
		ForwardMsPerImage: perImageMs(e.forward, nImages),
	}
	if opt.CalibSplit != nil && len(e.specs) > 0 {
		rep.CalibSplit = opt.CalibSplit.Name
		rep.TPR = opt.TPR
	}
	for c, v := range closed.IoU() {
		rep.ClassIoU = append(rep.ClassIoU, ClassIoU{Class: meta.Classes[c], IoU: v})
	}
	for _, l := range labels {
		if l != voidLabel {
			rep.Pixels++
			if l == 1 {
				rep.Anomalies++
			}
		}
	}
	if len(scorers) > 0 {
		if opt.Protocol == metrics.PerImage && !sameSize {
			return nil, errors.New("evaluate: the per-image protocol needs images of equal size")
		}
		if rep.Anomalies == 0 {
			return nil, fmt.Errorf("evaluate: split %q of %s has no anomaly pixels: OOD metrics need some", split.Name, meta.Name)
		}
	}
	for i, s := range scorers {
		var ex *Explanation
		if facts != nil { // on the score itself, before any mapping to [0, 1]
			ex = explain(scores[i], labels, facts, meta)
		}
		var scoreRange *[2]float32
		if opt.Protocol.Binned() || opt.ExportSMIYC != "" {
			lo, hi := UnitRange(s.spec, k, scores[i])
			unit := ToUnit(slices.Clone(scores[i]), lo, hi)
			if opt.ExportSMIYC != "" {
				method := opt.ExportMethod
				if method == "" {
					method = "nflowjs-" + s.spec.String()
				}
				if err := exportSMIYC(opt.ExportSMIYC, method, meta.Name, frames, unit); err != nil {
					return nil, err
				}
			}
			if opt.Protocol.Binned() {
				scores[i] = unit
				scoreRange = &[2]float32{lo, hi}
			}
		}
		sum, err := metrics.Evaluate(scores[i], labels, imageSize, metrics.Options{
			Ignore: voidLabel, Protocol: opt.Protocol, Engine: opt.Engine, FrameSizes: frameSizes,
		})
		if err != nil {
			return nil, fmt.Errorf("evaluate: score %s: %w", s.spec, err)
		}
		r := ScoreResult{
			Score: s.spec.String(), Detail: s.detail, Temperature: s.temp,
			AP: sum.AP, FPR95: sum.FPR95, AUROC: sum.AUROC, Images: sum.Images, Bounds: sum.Bounds,
			ScoreRange: scoreRange,
			Threshold:  thresholds[i], ThresholdSource: sources[i],
			MsPerImage: perImageMs(s.elapsed, nImages), Explain: ex,
		}
		if open[i] != nil {
			v, err := open[i].OpenMIoU(k)
			if err != nil {
				return nil, err
			}
			r.OpenMIoU = &v
			f := float64(flagged[i]) / float64(max(totalPixels, 1))
			r.FlaggedFraction, r.OverFlagged = &f, overFlagged[i]
		}
		rep.Scores = append(rep.Scores, r)
	}
	return rep, nil
}

func perImageMs(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1e3 / float64(n)
}

func protocolName(p metrics.Protocol) string {
	if p == metrics.Pooled {
		return "pooled" // the report's name for it before the binned protocols
	}
	return p.String()
}

func engineName(p metrics.Protocol, e metrics.Engine) string {
	switch {
	case p.Binned():
		return "binned float16" // the official tool's per-frame bins
	case p == metrics.Fishyscapes:
		return "exact"
	case e == metrics.EngineStreaming:
		return "streaming"
	}
	return "exact"
}
