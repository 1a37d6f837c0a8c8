package infer

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/nflowjs/nflowjs/internal/regions"
	"github.com/nflowjs/nflowjs/ood"
)

// Summary is the JSON description of one prediction.
type Summary struct {
	Image  string `json:"image,omitempty"` // file name or upload name
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// Score is the anomaly score and temperature, e.g. "js(T=2)";
	// higher = more anomalous.
	Score string `json:"score"`
	// ScoreResolution is where the score was computed: "full" or
	// "native" (Config.ScoreResolution).
	ScoreResolution string `json:"score_resolution"`
	// ScoreRange is the interval the heatmap's colour map spans (its
	// legend): the score's natural bounds when it has them (js ∈
	// [−JSmax(K), 0]), else this image's minimum and maximum.
	ScoreRange [2]float32 `json:"score_range"`
	ScoreMin   float32    `json:"score_min"`
	ScoreMax   float32    `json:"score_max"`
	ScoreMean  float64    `json:"score_mean"`
	// NonFinite counts NaN or infinite scores (a diverged model); they
	// are left out of the statistics and never anomalous.
	NonFinite int `json:"non_finite,omitempty"`
	// Threshold of the outlier-aware fusion, null if none.
	Threshold       *float32 `json:"threshold"`
	ThresholdSource string   `json:"threshold_source,omitempty"`
	// AnomalousPixels and AnomalousFraction count pixels with score >
	// threshold; null without a threshold.
	AnomalousPixels   *int     `json:"anomalous_pixels"`
	AnomalousFraction *float64 `json:"anomalous_fraction"`
	// Components are the 8-connected anomaly regions, largest first, at
	// most Config.MaxComponents of ComponentsTotal.
	Components      []Component `json:"components"`
	ComponentsTotal int         `json:"components_total"`
	// ClassFractions is the closed-set share of each class.
	ClassFractions map[string]float64 `json:"class_fractions"`
	// Warning explains missing layers (no calibrated threshold) or a
	// threshold that flags most of the image (OverFlagWarning).
	Warning  string             `json:"warning,omitempty"`
	TimingMS map[string]float64 `json:"timing_ms"`
}

// Component is one connected anomaly region.
type Component struct {
	ID     int `json:"id"` // 1-based, in order of decreasing size
	Pixels int `json:"pixels"`
	// BBox is [x_min, y_min, x_max, y_max], inclusive pixel coordinates.
	BBox      [4]int     `json:"bbox"`
	Centroid  [2]float64 `json:"centroid"` // mean x, mean y
	MeanScore float64    `json:"mean_score"`
	MaxScore  float32    `json:"max_score"`
}

// OverFlagFraction is the anomalous fraction above which a summary warns:
// a threshold calibrated at 95% TPR that flags most of an image says the
// score does not separate this image from the calibration inliers.
const OverFlagFraction = 0.5

// OverFlagWarning is the Summary.Warning (a format taking the flagged
// percentage) when the threshold flags more than OverFlagFraction.
const OverFlagWarning = "the threshold flags %.0f%% of this image: the anomaly score does not separate it from the inliers " +
	"the threshold was calibrated on (another domain, or a weak model); read the fused map with caution"

// NoThresholdWarning is the Summary.Warning when no threshold is known.
const NoThresholdWarning = "no threshold: none was given and the model bundle has no calibrated threshold for this score " +
	"(run `nflowjs calibrate` or pass --threshold); only the closed-set segmentation and the score map are produced"

func (r *Result) summarize(source string) {
	p := r.p
	w, h := r.Input.W, r.Input.H
	s := Summary{Width: w, Height: h, Score: p.ScoreName(), ScoreResolution: p.cfg.ScoreResolution, Threshold: r.Threshold, Components: []Component{}}
	if r.Threshold != nil {
		s.ThresholdSource = source
	} else {
		s.Warning = NoThresholdWarning
	}
	// Statistics over finite scores only: JSON cannot carry NaN.
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	var sum float64
	for _, v := range r.Scores {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			s.NonFinite++
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
		sum += float64(v)
	}
	if n := len(r.Scores) - s.NonFinite; n > 0 {
		s.ScoreMin, s.ScoreMax, s.ScoreMean = lo, hi, sum/float64(n)
	} else {
		lo, hi = 0, 0
	}
	if blo, bhi, ok := (ood.ScoreSpec{Name: p.score.Name}).Bounds(len(p.cfg.Classes)); ok {
		r.Range = [2]float32{blo, bhi}
	} else {
		if !(hi > lo) {
			lo, hi = lo-0.5, lo+0.5
		}
		r.Range = [2]float32{lo, hi}
	}
	s.ScoreRange = r.Range
	counts := make([]int, len(p.cfg.Classes))
	for _, c := range r.Labels {
		counts[c]++
	}
	s.ClassFractions = make(map[string]float64, len(counts))
	for c, n := range counts {
		s.ClassFractions[p.cfg.Classes[c]] = float64(n) / float64(len(r.Labels))
	}
	if r.Threshold != nil {
		mask := make([]bool, len(r.Scores))
		n := 0
		for i, v := range r.Scores {
			if v > *r.Threshold && !math.IsInf(float64(v), 0) {
				mask[i] = true
				n++
			}
		}
		frac := float64(n) / float64(len(mask))
		s.AnomalousPixels, s.AnomalousFraction = &n, &frac
		if frac > OverFlagFraction {
			s.Warning = fmt.Sprintf(OverFlagWarning, 100*frac)
		}
		s.Components, s.ComponentsTotal = components(mask, r.Scores, w, h, p.cfg.MaxComponents)
	}
	r.Summary = s
}

// components labels the 8-connected regions of mask with regions.Label8
// (the labelling the SMIYC component metrics use) and returns the largest
// max of them with their boxes and score statistics, plus the total count.
func components(mask []bool, scores []float32, w, h, maxN int) ([]Component, int) {
	lab, n := regions.Label8(mask, h, w)
	// Accumulate per component in slices indexed by label (labels are
	// 1..n in raster order of their first pixel; a map per pixel would
	// dominate the summary of a full-HD image).
	type acc struct {
		n              int
		x0, y0, x1, y1 int
		sx, sy, sum    float64
		maxS           float32
	}
	accs := make([]acc, n)
	for i, l := range lab {
		if l == 0 {
			continue
		}
		c := l - 1
		x, y := i%w, i/w
		if accs[c].n == 0 {
			accs[c] = acc{x0: x, y0: y, x1: x, y1: y, maxS: scores[i]}
		}
		a := &accs[c]
		a.n++
		a.x0, a.y0, a.x1, a.y1 = min(a.x0, x), min(a.y0, y), max(a.x1, x), max(a.y1, y)
		a.sx += float64(x)
		a.sy += float64(y)
		a.sum += float64(scores[i])
		a.maxS = max(a.maxS, scores[i])
	}
	order := make([]int32, len(accs))
	for i := range order {
		order[i] = int32(i)
	}
	// Largest first; ties keep raster order of the first pixel.
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(accs[b].n, accs[a].n) })
	total := len(order)
	if len(order) > maxN {
		order = order[:maxN]
	}
	out := make([]Component, len(order))
	for i, c := range order {
		a := accs[c]
		n := float64(a.n)
		out[i] = Component{ID: i + 1, Pixels: a.n, BBox: [4]int{a.x0, a.y0, a.x1, a.y1},
			Centroid: [2]float64{a.sx / n, a.sy / n}, MeanScore: a.sum / n, MaxScore: a.maxS}
	}
	return out, total
}
