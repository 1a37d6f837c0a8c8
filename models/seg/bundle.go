package seg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/convention"
	"github.com/nflowjs/nflowjs/nn"
)

// Bundle file names inside a model directory.
const (
	WeightsFile = "model.safetensors"
	InfoFile    = "model.json"
	// MetaConfig is the safetensors metadata key holding the Config as
	// JSON, so the weights file alone can rebuild the model.
	MetaConfig = "seg.config"
	// DefaultTemperature is the softmax temperature of the paper's JS score
	// (section 6.1: T = 2).
	DefaultTemperature = 2
)

// BundleInfo is DIR/model.json: everything besides the weights that
// evaluation, prediction and serving need.
type BundleInfo struct {
	Config  Config     `json:"config"`
	Classes []string   `json:"classes"`
	Colors  [][3]uint8 `json:"colors,omitempty"`
	// Mean and Std normalise input images: (v/255 − Mean[c]) / Std[c].
	Mean [3]float32 `json:"mean"`
	Std  [3]float32 `json:"std"`
	// Label encoding of the training data (dataset.Meta of its dataset).
	IgnoreLabel  int `json:"ignore_label"`
	AnomalyLabel int `json:"anomaly_label"`
	UnknownLabel int `json:"unknown_label,omitempty"`
	// Score is the default OOD score for predict/serve: "msp" after
	// closed-set training, "js" after joint NFlowJS training.
	Score string `json:"score"`
	// Temperature of the softmax used by the score (default 2).
	Temperature float32 `json:"temperature"`
	// Threshold is the calibrated score threshold of outlier-aware
	// segmentation; nil until calibrated. CalibratedOn says how.
	Threshold    *float32 `json:"threshold"`
	CalibratedOn string   `json:"calibrated_on,omitempty"`
	// Dataset and Stage describe provenance ("synth-road", "closed").
	Dataset string         `json:"dataset,omitempty"`
	Stage   string         `json:"stage,omitempty"`
	Extra   map[string]any `json:"extra,omitempty"`
}

// Validate checks the info against itself.
func (i *BundleInfo) Validate() error {
	if err := i.Config.Validate(); err != nil {
		return err
	}
	if len(i.Classes) != i.Config.NumClasses {
		return fmt.Errorf("%w: %d class names for %d classes", ErrBundle, len(i.Classes), i.Config.NumClasses)
	}
	if i.Colors != nil && len(i.Colors) != len(i.Classes) {
		return fmt.Errorf("%w: %d colors for %d classes", ErrBundle, len(i.Colors), len(i.Classes))
	}
	for c, s := range i.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) || math.IsNaN(float64(i.Mean[c])) {
			return fmt.Errorf("%w: std[%d] = %g must be positive and finite (mean %g)", ErrBundle, c, s, i.Mean[c])
		}
	}
	if !(i.Temperature > 0) || math.IsInf(float64(i.Temperature), 0) {
		return fmt.Errorf("%w: temperature %g must be positive and finite", ErrBundle, i.Temperature)
	}
	if i.Threshold != nil && math.IsNaN(float64(*i.Threshold)) {
		return fmt.Errorf("%w: threshold is NaN", ErrBundle)
	}
	return nil
}

// Bundle is a trained model directory: DIR/model.safetensors (weights)
// and DIR/model.json (BundleInfo).
type Bundle struct {
	Model *Model
	Info  BundleInfo
	Dir   string
}

// SaveBundle writes m's weights and info to dir (created if needed). Both
// files are written atomically (temporary file + rename), weights first, so
// a reader that sees a new model.json also sees the weights it describes.
// info.Config is replaced by the model's config.
func SaveBundle(dir string, m *Model, info BundleInfo) error {
	info.Config = m.Config()
	if err := info.Validate(); err != nil {
		return fmt.Errorf("seg: save %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("seg: save bundle: %w", err)
	}
	cfg, err := json.Marshal(info.Config)
	if err != nil {
		return fmt.Errorf("seg: encoding config: %w", err)
	}
	if err := checkpoint.Save(filepath.Join(dir, WeightsFile), nn.StateDict(m), map[string]string{MetaConfig: string(cfg)}); err != nil {
		return fmt.Errorf("seg: save bundle: %w", err)
	}
	b := &Bundle{Model: m, Info: info, Dir: dir}
	return b.SaveInfo()
}

// SaveInfo rewrites DIR/model.json from b.Info atomically (calibration
// updates the threshold this way without touching the weights).
func (b *Bundle) SaveInfo() error {
	if b.Model != nil {
		b.Info.Config = b.Model.Config()
	}
	if err := b.Info.Validate(); err != nil {
		return fmt.Errorf("seg: save %s: %w", filepath.Join(b.Dir, InfoFile), err)
	}
	raw, err := json.MarshalIndent(b.Info, "", "  ")
	if err != nil {
		return fmt.Errorf("seg: encoding %s: %w", InfoFile, err)
	}
	return atomicfile.WriteFile(filepath.Join(b.Dir, InfoFile), append(raw, '\n'))
}

// LoadBundle reads a bundle directory. Errors name the offending file and
// wrap ErrBundle or ErrConfig (or the checkpoint package's typed errors for
// a corrupt weights file).
func LoadBundle(dir string) (*Bundle, error) {
	infoPath := filepath.Join(dir, InfoFile)
	raw, err := os.ReadFile(infoPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist (not a model directory?)", ErrBundle, infoPath)
		}
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	// encoding/json fills a [3]float32 from a shorter array with zeros;
	// a normalisation with a channel missing must be refused, not guessed.
	var norm struct{ Mean, Std []float32 }
	if err := json.Unmarshal(raw, &norm); err == nil {
		for name, v := range map[string][]float32{"mean": norm.Mean, "std": norm.Std} {
			if v != nil && len(v) != 3 {
				return nil, fmt.Errorf("%w: %s: %s has %d values, want 3 (one per RGB channel)", ErrBundle, infoPath, name, len(v))
			}
		}
	}
	var info BundleInfo
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBundle, infoPath, err)
	}
	if err := info.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", infoPath, err)
	}
	// The seed does not matter: every weight is overwritten.
	m, err := New(info.Config, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", infoPath, err)
	}
	wpath := filepath.Join(dir, WeightsFile)
	if _, err := os.Stat(wpath); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBundle, wpath, err)
	}
	sd := nn.StateDict(m)
	if _, err := checkpoint.LoadInto(wpath, sd); err != nil {
		var mm *checkpoint.MismatchError
		if errors.As(err, &mm) {
			return nil, fmt.Errorf("%w: %s does not match the config in %s: %w", ErrBundle, wpath, InfoFile, err)
		}
		// A damaged file (truncated, not safetensors) is not a config
		// mismatch; say what it is.
		return nil, fmt.Errorf("%w: %s is damaged: %w", ErrBundle, wpath, err)
	}
	for name, t := range sd {
		if t.HasNaNOrInf() {
			return nil, fmt.Errorf("%w: %s: tensor %q contains NaN or Inf", ErrBundle, wpath, name)
		}
	}
	nn.Eval(m)
	return &Bundle{Model: m, Info: info, Dir: dir}, nil
}

// NewInfo returns a BundleInfo for m with the contract's defaults: the
// paper's temperature 2, ImageNet normalisation, the default label values
// and no threshold. Callers fill in the dataset
// fields.
func NewInfo(m *Model, classes []string, score, stage string) BundleInfo {
	return BundleInfo{Config: m.Config(), Classes: classes, Score: score, Stage: stage, Temperature: DefaultTemperature,
		Mean: convention.Mean, Std: convention.Std,
		IgnoreLabel: convention.IgnoreLabel, AnomalyLabel: convention.AnomalyLabel}
}
