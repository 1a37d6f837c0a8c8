package evaluate

import (
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/models/seg"
)

// BundleInfo returns the Info RunModel needs for a trained model bundle.
func BundleInfo(b *seg.Bundle) Info {
	return Info{
		Name: b.Dir, NumClasses: b.Info.Config.NumClasses, Mean: b.Info.Mean, Std: b.Info.Std,
		Score: b.Info.Score, Temperature: b.Info.Temperature, Threshold: b.Info.Threshold,
		CalibratedOn: b.Info.CalibratedOn,
	}
}

// Run evaluates a bundle on a split (see RunModel). Without
// opt.CalibSplit, the bundle's stored threshold (model.json) gives the
// open-mIoU of its own score.
func Run(b *seg.Bundle, split *dataset.Split, opt Options) (*Report, error) {
	return RunModel(b.Model, BundleInfo(b), split, opt)
}

// Calibrate calibrates score on split at the given TPR (0: 0.95) and
// stores the result in the bundle's model.json (Score, Temperature for
// scores that have one, Threshold, CalibratedOn) via Bundle.SaveInfo, so
// predict and serve use it by default.
func Calibrate(b *seg.Bundle, split *dataset.Split, score string, tpr float64, opt Options) (*Calibration, error) {
	opt.TPR = tpr
	c, err := CalibrateModel(b.Model, BundleInfo(b), split, score, opt)
	if err != nil {
		return nil, err
	}
	info := b.Info
	info.Score = c.Score
	if c.Temperature > 0 {
		info.Temperature = c.Temperature
	}
	thr := c.Threshold
	info.Threshold = &thr
	info.CalibratedOn = c.CalibratedOn
	old := b.Info
	b.Info = info
	if err := b.SaveInfo(); err != nil {
		b.Info = old
		return nil, err
	}
	return c, nil
}
