package evaluate

import (
	"errors"
	"fmt"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/ood"
)

// Calibration is the outcome of CalibrateModel: the threshold δ such that
// score > δ flags TPR of the split's anomaly pixels (ood.CalibrateThreshold),
// for the outlier-aware segmentation of paper Figure 4.
type Calibration struct {
	// Score is the name stored in a bundle (Spec.StoredName, e.g. "js");
	// Detail the scorer with its settings.
	Score       string  `json:"score"`
	Detail      string  `json:"detail"`
	Temperature float32 `json:"temperature,omitempty"` // 0 for scores without one
	Threshold   float32 `json:"threshold"`
	TPR         float64 `json:"tpr,omitempty"` // the target, when calibrated on anomalies
	FPR         float64 `json:"fpr,omitempty"` // the target, when calibrated on inliers (Options.FPR)
	Dataset     string  `json:"dataset"`
	Split       string  `json:"split"`
	Images      int     `json:"images"`
	Anomalies   int64   `json:"anomaly_pixels"`
	// CalibratedOn summarises the above, e.g. "synth-road val TPR 0.95".
	CalibratedOn string `json:"calibrated_on"`
}

// CalibrateModel computes the threshold of one score on split at
// opt.TPR (default 0.95). Options other than Scores apply as in RunModel
// (FitSplit for the fitted scores, MaxImages, Progress, ...).
func CalibrateModel(m ood.Model, info Info, split *dataset.Split, score string, opt Options) (*Calibration, error) {
	if score == "" {
		return nil, errors.New("evaluate: calibrate: no score given")
	}
	opt.Scores = []string{score}
	e, err := newEvaluator(m, info, opt)
	if err != nil {
		return nil, err
	}
	opt = e.opt
	if err := checkSplit("calibration", split, &info); err != nil {
		return nil, err
	}
	split = split.EvenSubset(opt.MaxImages)
	if err := e.fit(); err != nil {
		return nil, err
	}
	scores, labels, err := e.collect(split, "calibrate "+split.Name)
	if err != nil {
		return nil, err
	}
	var anomalies int64
	for _, l := range labels {
		if l == 1 {
			anomalies++
		}
	}
	var thr float32
	if opt.FPR > 0 {
		thr, err = ood.CalibrateThresholdFPR(scores[0], labels, voidLabel, opt.FPR)
	} else if anomalies == 0 {
		return nil, fmt.Errorf("evaluate: calibrate: split %q of %s has no anomaly pixels (calibrate at a false-positive rate instead, --fpr)", split.Name, split.Meta.Name)
	} else {
		thr, err = ood.CalibrateThreshold(scores[0], labels, voidLabel, opt.TPR)
	}
	if err != nil {
		return nil, fmt.Errorf("evaluate: calibrate: %w", err)
	}
	sc, err := e.newScorers()
	if err != nil {
		return nil, err
	}
	sp := e.specs[0]
	c := &Calibration{
		Score: sp.StoredName(), Detail: sc[0].detail, Temperature: specTemperature(sp, &opt), Threshold: thr,
		Dataset: split.Meta.Name, Split: split.Name, Images: split.Len(), Anomalies: anomalies,
		CalibratedOn: calibratedOn(split, opt),
	}
	if opt.FPR > 0 {
		c.FPR = opt.FPR
	} else {
		c.TPR = opt.TPR
	}
	return c, nil
}

// calibratedOn is the threshold's provenance stored in model.json; a
// threshold calibrated on native-resolution scores says so, because it
// differs from the full-resolution one predict uses by default.
func calibratedOn(split *dataset.Split, opt Options) string {
	s := fmt.Sprintf("%s %s TPR %g", split.Meta.Name, split.Name, opt.TPR)
	if opt.FPR > 0 {
		s = fmt.Sprintf("%s %s FPR %g (inlier pixels)", split.Meta.Name, split.Name, opt.FPR)
	}
	if opt.ScoreResolution == "native" {
		s += ", native score resolution"
	}
	return s
}
