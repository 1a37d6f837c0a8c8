package metrics

import (
	"fmt"

	"github.com/nflowjs/nflowjs/internal/regions"
)

// ComponentConfig holds the parameters of the SMIYC component-level
// evaluation (Chan et al., "SegmentMeIfYouCan", NeurIPS 2021 Datasets and
// Benchmarks; road-anomaly-benchmark's MetricSegment).
type ComponentConfig struct {
	// MinPredSize removes predicted components with fewer pixels.
	MinPredSize int
	// MinGTSize turns ground-truth components with fewer pixels into void.
	MinGTSize int
	// Thresholds on sIoU / PPV; nil means SIoUThresholds().
	Thresholds []float64
	// SIoUPred counts false positives by the symmetric adjusted IoU of
	// predicted components instead of their PPV. The SMIYC paper and the
	// official code (road-anomaly-benchmark@1c7804e, segment_metrics) use
	// the PPV — an sIoU-of-prediction line is commented out there; this
	// switch reproduces numbers from before that change.
	SIoUPred bool
}

// The size filters of the two SMIYC tracks.
var (
	AnomalyTrackComponents  = ComponentConfig{MinPredSize: 500, MinGTSize: 100}
	ObstacleTrackComponents = ComponentConfig{MinPredSize: 50, MinGTSize: 10}
)

// SIoUThresholds returns 0.25, 0.30, …, 0.75 (numpy.linspace(0.25, 0.75, 11)).
func SIoUThresholds() []float64 {
	t := make([]float64, 11)
	for i := range t {
		t[i] = 0.25 + float64(i)*(0.5/10)
	}
	t[10] = 0.75
	return t
}

// Components accumulates SMIYC component statistics over images.
type Components struct {
	Config ComponentConfig
	SIoU   []float64 // one per ground-truth component
	PPV    []float64 // one per predicted component: |k̂ ∩ GT| / |k̂|
	SIoUP  []float64 // one per predicted component: adjusted IoU (benchmark code)
}

// ComponentResult aggregates Components: counts and F1 per threshold
// (F1 = 2TP / (2TP + FN + FP)), their means over thresholds, and the mean
// sIoU over ground-truth and PPV over predicted components.
type ComponentResult struct {
	Thresholds []float64 `json:"thresholds"`
	TP, FN, FP []int     `json:"-"`
	F1         []float64 `json:"f1"`
	MeanF1     float64   `json:"mean_f1"`
	MeanSIoU   float64   `json:"siou"`
	MeanPPV    float64   `json:"ppv"`
}

// Add evaluates one h x w image: pixels with score > threshold are
// predicted anomalous (never on void pixels), label 1 marks anomalies and
// ignore marks void; components use 8-connectivity. Size filters follow
// the benchmark: small predicted components are dropped, small
// ground-truth components become void, and statistics are computed on the
// remaining non-void pixels.
func (c *Components) Add(scores []float32, labels []uint8, h, w int, ignore uint8, threshold float32) error {
	if h < 0 || w < 0 || len(scores) != h*w || len(labels) != h*w {
		return fmt.Errorf("%w: %d scores, %d labels for a %dx%d image", ErrShape, len(scores), len(labels), h, w)
	}
	pred := make([]bool, h*w)
	gt := make([]bool, h*w)
	for i, l := range labels {
		switch l {
		case ignore:
			continue
		case 0, 1:
		default:
			return fmt.Errorf("%w: label %d at index %d (ignore = %d)", ErrLabel, l, i, ignore)
		}
		if scores[i] != scores[i] {
			return fmt.Errorf("%w at index %d", ErrNaN, i)
		}
		gt[i] = l == 1
		pred[i] = scores[i] > threshold
	}
	return c.AddMasks(pred, gt, labels, h, w, ignore)
}

// AddMasks is Add for a given binary prediction (void pixels are cleared
// from it); gt marks anomaly pixels and labels is used for void only.
func (c *Components) AddMasks(pred, gt []bool, labels []uint8, h, w int, ignore uint8) error {
	n := h * w
	if len(pred) != n || len(gt) != n || len(labels) != n {
		return fmt.Errorf("%w: masks do not match a %dx%d image", ErrShape, h, w)
	}
	roi := make([]bool, n)
	for i, l := range labels {
		roi[i] = l != ignore
	}
	p := make([]bool, n)
	for i := range p {
		p[i] = pred[i] && roi[i]
	}
	gl, ng := regions.Label8(gt, h, w)
	pl, np := regions.Label8(p, h, w)
	gSize := make([]int64, ng+1)
	pSize := make([]int64, np+1)
	for i := 0; i < n; i++ {
		gSize[gl[i]]++
		pSize[pl[i]]++
	}
	// Size filters.
	for i := 0; i < n; i++ {
		if pl[i] != 0 && pSize[pl[i]] < int64(c.Config.MinPredSize) {
			pl[i] = 0
		}
		if gl[i] != 0 && gSize[gl[i]] < int64(c.Config.MinGTSize) {
			roi[i] = false
		}
	}
	// Sizes, overlaps and class-crossing counts on the region of interest.
	clear(gSize)
	clear(pSize)
	gtInPred := make([]int64, np+1) // |k̂ ∩ GT|
	predInGT := make([]int64, ng+1) // |k ∩ pred|
	overlap := map[[2]int32]int64{}
	for i := 0; i < n; i++ {
		if !roi[i] {
			continue
		}
		g, q := gl[i], pl[i]
		gSize[g]++
		pSize[q]++
		if g != 0 && q != 0 {
			gtInPred[q]++
			predInGT[g]++
			overlap[[2]int32{g, q}]++
		}
	}
	// With S(k) the predicted components touching k and A(k) the pixels of
	// other ground-truth components, the adjusted union
	// |k ∪ S(k)| − |A(k) ∩ S(k)| simplifies to |k| + Σ_{k̂∈S(k)} (|k̂| − |k̂ ∩ GT|).
	gUnion := make([]int64, ng+1)
	pUnion := make([]int64, np+1)
	for key := range overlap {
		g, q := key[0], key[1]
		gUnion[g] += pSize[q] - gtInPred[q]
		pUnion[q] += gSize[g] - predInGT[g]
	}
	for g := 1; g <= ng; g++ {
		if gSize[g] == 0 {
			continue // removed by the size filter
		}
		c.SIoU = append(c.SIoU, float64(predInGT[g])/float64(gSize[g]+gUnion[g]))
	}
	for q := 1; q <= np; q++ {
		if pSize[q] == 0 {
			continue
		}
		c.PPV = append(c.PPV, float64(gtInPred[q])/float64(pSize[q]))
		c.SIoUP = append(c.SIoUP, float64(gtInPred[q])/float64(pSize[q]+pUnion[q]))
	}
	return nil
}

// Result aggregates the components of all images added so far.
func (c *Components) Result() ComponentResult {
	th := c.Config.Thresholds
	if th == nil {
		th = SIoUThresholds()
	}
	fpScore := c.PPV
	if c.Config.SIoUPred {
		fpScore = c.SIoUP
	}
	r := ComponentResult{Thresholds: th, TP: make([]int, len(th)), FN: make([]int, len(th)),
		FP: make([]int, len(th)), F1: make([]float64, len(th)), MeanSIoU: mean(c.SIoU), MeanPPV: mean(fpScore)}
	for i, t := range th {
		for _, s := range c.SIoU {
			if s >= t {
				r.TP[i]++
			} else {
				r.FN[i]++
			}
		}
		for _, s := range fpScore {
			if s < t {
				r.FP[i]++
			}
		}
		if d := 2*r.TP[i] + r.FN[i] + r.FP[i]; d > 0 {
			r.F1[i] = float64(2*r.TP[i]) / float64(d)
		}
	}
	r.MeanF1 = mean(r.F1)
	return r
}
