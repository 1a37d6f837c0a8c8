package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/nflowjs/nflowjs/internal/half"
)

const (
	smiycPercentileBins = 768
	smiycUniformBins    = 4096
)

// The uniform protocol's range. Variables, not constants: NumPy computes
// their difference in float64 arithmetic, and so must we (a Go constant
// expression would be exact, then rounded — one ulp away).
var smiycUniformLo, smiycUniformHi = -0.01, 1.01

// FrameBins is one frame's binned counts: the unit a distributed
// evaluation ships and merges. Bin i (from the top) holds the pixels
// scoring in [Thresholds[i], the bin's upper edge); Thresholds descend.
type FrameBins struct {
	Thresholds []float64 `json:"thresholds,omitempty"` // nil for SMIYCUniform (fixed edges)
	TP         []int64   `json:"tp"`
	FP         []int64   `json:"fp"`
	Positives  int64     `json:"positives"`
	Negatives  int64     `json:"negatives"`
}

// SMIYCFrame bins one frame as the official code's process_frame does.
// Scores are first rounded to float16, the dtype the official tool stores
// them in, and must lie in [0, 1] (the protocol's range); labels are 0
// (inlier), 1 (anomaly) or ignore (excluded). A frame with no non-void
// pixel gives empty bins.
func SMIYCFrame(scores []float32, labels []uint8, ignore uint8, p Protocol) (FrameBins, error) {
	if len(scores) != len(labels) {
		return FrameBins{}, fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	var pos, neg []float64
	for i, l := range labels {
		if l == ignore {
			continue
		}
		s := scores[i]
		if math.IsNaN(float64(s)) {
			return FrameBins{}, fmt.Errorf("%w at pixel %d", ErrNaN, i)
		}
		if s < 0 || s > 1 {
			return FrameBins{}, fmt.Errorf("%w: score %g at pixel %d is outside [0, 1], the SMIYC protocols' range", ErrScoreRange, s, i)
		}
		h := half.Round(float64(s))
		switch l {
		case 0:
			neg = append(neg, h)
		case 1:
			pos = append(pos, h)
		default:
			return FrameBins{}, fmt.Errorf("%w: %d at pixel %d", ErrLabel, l, i)
		}
	}
	switch p {
	case SMIYCUniform:
		return uniformFrame(pos, neg), nil
	case SMIYC:
		return percentileFrame(pos, neg), nil
	}
	return FrameBins{}, fmt.Errorf("metrics: %s is not a binned SMIYC protocol", p)
}

// percentileFrame is binary_confusion_matrix with bin_strategy
// "percentiles", with NumPy 1.24's dtypes: min, max and their difference
// in float16, eps and the edges in float64, quantiles interpolated from a
// float16 difference.
func percentileFrame(pos, neg []float64) FrameBins {
	fb := FrameBins{Positives: int64(len(pos)), Negatives: int64(len(neg))}
	if len(pos)+len(neg) == 0 {
		return fb
	}
	slices.Sort(pos)
	slices.Sort(neg)
	vmin, vmax := math.Inf(1), math.Inf(-1)
	for _, s := range [][]float64{pos, neg} {
		if len(s) > 0 {
			vmin, vmax = min(vmin, s[0]), max(vmax, s[len(s)-1])
		}
	}
	eps := math.Max(half.Op(vmax, vmin, '-')*1e-2, 1e-2)
	edges := []float64{vmin - eps, vmax + eps}
	for _, s := range [][]float64{pos, neg} {
		if len(s) > 0 {
			edges = append(edges, npQuantiles(s, min(smiycPercentileBins/2, len(s)))...)
		}
	}
	slices.Sort(edges)
	edges = slices.Compact(edges)
	tp, fp := edgeHistogram(pos, edges), edgeHistogram(neg, edges)
	nb := len(edges) - 1
	fb.Thresholds = make([]float64, nb)
	fb.TP = make([]int64, nb)
	fb.FP = make([]int64, nb)
	for i := range nb { // top bin first; its threshold is its lower edge
		j := nb - 1 - i
		fb.Thresholds[i], fb.TP[i], fb.FP[i] = edges[j], tp[j], fp[j]
	}
	return fb
}

// npQuantiles is np.quantile(sorted, np.linspace(0, 1, m)) for a float16
// array (NumPy 1.24, method "linear"): the difference of the neighbours is
// a float16 subtraction, the interpolation float64.
func npQuantiles(sorted []float64, m int) []float64 {
	n := len(sorted)
	out := make([]float64, m)
	step := 1.0
	if m > 1 {
		step = 1 / float64(m-1)
	}
	for i := range m {
		q := float64(float64(i) * step)
		if i == m-1 && m > 1 {
			q = 1 // linspace's endpoint is exact
		}
		v := float64(n-1) * q
		if v >= float64(n-1) {
			out[i] = sorted[n-1]
			continue
		}
		lo := math.Floor(v)
		t := v - lo
		a, b := sorted[int(lo)], sorted[int(lo)+1]
		d := half.Op(b, a, '-')
		if t >= 0.5 {
			out[i] = b - float64(d*(1-t))
		} else {
			out[i] = a + float64(d*t)
		}
	}
	return out
}

// edgeHistogram counts sorted values into the bins [e_i, e_{i+1}), the
// last bin closed (np.histogram with explicit edges).
func edgeHistogram(sorted, edges []float64) []int64 {
	n := make([]int64, len(edges)-1)
	if len(n) == 0 {
		return n
	}
	cum := func(e float64, right bool) int64 {
		i, _ := slices.BinarySearchFunc(sorted, e, func(x, t float64) int {
			if x < t || (right && x == t) {
				return -1
			}
			return 1
		})
		return int64(i)
	}
	prev := cum(edges[0], false)
	for i := 1; i < len(edges); i++ {
		c := cum(edges[i], i == len(edges)-1)
		n[i-1] = c - prev
		prev = c
	}
	return n
}

// uniformEdges are np.linspace(-0.01, 1.01, 4097, dtype=np.float16): the
// float64 linspace rounded to float16 (many neighbours coincide, as
// float16 is coarser than 1/4016 near 1).
var uniformEdges = sync.OnceValue(func() []float64 {
	e := make([]float64, smiycUniformBins+1)
	step := (smiycUniformHi - smiycUniformLo) / float64(smiycUniformBins)
	for i := range e {
		e[i] = half.Round(float64(float64(i)*step) + smiycUniformLo)
	}
	e[smiycUniformBins] = half.Round(smiycUniformHi)
	return e
})

// uniformBin is np.histogram's bin index for a float16 value with uniform
// float16 bins: the estimate in float16 arithmetic, then one correction
// each way against the edges — NumPy's steps, so the rare value the
// estimate misplaces lands where NumPy puts it.
func uniformBin(a float64) int {
	edges := uniformEdges()
	norm := half.Round(float64(smiycUniformBins) / (smiycUniformHi - smiycUniformLo))
	f := half.Op(half.Op(a, half.Round(smiycUniformLo), '-'), norm, '*')
	i := int(f)
	if i == smiycUniformBins {
		i--
	}
	if a < edges[i] {
		i--
	}
	if a >= edges[i+1] && i != smiycUniformBins-1 {
		i++
	}
	return i
}

// uniformFrame is binary_confusion_matrix with bin_strategy "uniform".
func uniformFrame(pos, neg []float64) FrameBins {
	fb := FrameBins{Positives: int64(len(pos)), Negatives: int64(len(neg)),
		TP: make([]int64, smiycUniformBins), FP: make([]int64, smiycUniformBins)}
	for _, s := range pos {
		fb.TP[smiycUniformBins-1-uniformBin(s)]++
	}
	for _, s := range neg {
		fb.FP[smiycUniformBins-1-uniformBin(s)]++
	}
	return fb
}

// SMIYCSet accumulates the binned frames of a dataset. Its zero value is
// not usable; start from NewSMIYCSet. Sets merge exactly (Merge), so a
// dataset split over workers gives the same numbers, bit for bit, as one
// pass: uniform counts are summed; percentile frames are kept with their
// position in the dataset and concatenated in that order at the end, as
// the official code does.
type SMIYCSet struct {
	Protocol Protocol `json:"protocol"`
	// Frames are the percentile protocol's frames, by dataset position.
	Frames []KeyedFrameBins `json:"frames,omitempty"`
	// Sum is the uniform protocol's total.
	Sum FrameBins `json:"sum"`
}

// KeyedFrameBins is a frame's bins and its position in the dataset order.
type KeyedFrameBins struct {
	Key  int64     `json:"key"`
	Bins FrameBins `json:"bins"`
}

// NewSMIYCSet returns an empty set for the protocol p (SMIYC or
// SMIYCUniform).
func NewSMIYCSet(p Protocol) *SMIYCSet {
	s := &SMIYCSet{Protocol: p}
	if p == SMIYCUniform {
		s.Sum.TP = make([]int64, smiycUniformBins)
		s.Sum.FP = make([]int64, smiycUniformBins)
	}
	return s
}

// Add adds a frame binned by SMIYCFrame under the same protocol; key is
// the frame's position in the dataset (it orders tied thresholds as the
// official sequential run does).
func (s *SMIYCSet) Add(key int64, f FrameBins) error {
	if s.Protocol == SMIYCUniform {
		if len(f.TP) != smiycUniformBins || len(f.FP) != smiycUniformBins || f.Thresholds != nil {
			return fmt.Errorf("%w: frame %d is not binned by %s", ErrShape, key, s.Protocol)
		}
		for i := range f.TP {
			s.Sum.TP[i] += f.TP[i]
			s.Sum.FP[i] += f.FP[i]
		}
		s.Sum.Positives += f.Positives
		s.Sum.Negatives += f.Negatives
		return nil
	}
	if len(f.Thresholds) != len(f.TP) || len(f.TP) != len(f.FP) {
		return fmt.Errorf("%w: frame %d is not binned by %s", ErrShape, key, s.Protocol)
	}
	s.Frames = append(s.Frames, KeyedFrameBins{Key: key, Bins: f})
	return nil
}

// Merge adds the frames of o (same protocol) to s.
func (s *SMIYCSet) Merge(o *SMIYCSet) error {
	if o.Protocol != s.Protocol {
		return fmt.Errorf("%w: merging %s into %s", ErrShape, o.Protocol, s.Protocol)
	}
	if s.Protocol == SMIYCUniform {
		return s.Add(0, o.Sum)
	}
	s.Frames = append(s.Frames, o.Frames...)
	return nil
}

// Result computes AP (the official area_PRC), FPR95 (tpr95_fpr) and AUROC
// (area_ROC). Threshold95 is the float32 of tpr95_threshold.
func (s *SMIYCSet) Result() (Binary, error) {
	var thr, tp, fp []float64
	var npos, nneg int64
	if s.Protocol == SMIYCUniform {
		// aggregate_fixed_bins: the thresholds are the reversed edges
		// without the top one; the counts are already summed.
		e := uniformEdges()
		thr = make([]float64, smiycUniformBins)
		for i := range thr {
			thr[i] = e[smiycUniformBins-1-i]
		}
		tp, fp = cumulative(s.Sum.TP), cumulative(s.Sum.FP)
		npos, nneg = s.Sum.Positives, s.Sum.Negatives
	} else {
		// aggregate_dynamic_bins: all frames' thresholds, in dataset
		// order, sorted descending by NumPy's argsort reversed.
		frames := slices.Clone(s.Frames)
		slices.SortStableFunc(frames, func(a, b KeyedFrameBins) int { return cmp.Compare(a.Key, b.Key) })
		var all []float64
		var tpRel, fpRel []int64
		for _, f := range frames {
			all = append(all, f.Bins.Thresholds...)
			tpRel = append(tpRel, f.Bins.TP...)
			fpRel = append(fpRel, f.Bins.FP...)
			npos += f.Bins.Positives
			nneg += f.Bins.Negatives
		}
		order := npArgsort(all)
		slices.Reverse(order)
		thr = make([]float64, len(order))
		tpo, fpo := make([]int64, len(order)), make([]int64, len(order))
		for i, j := range order {
			thr[i], tpo[i], fpo[i] = all[j], tpRel[j], fpRel[j]
		}
		tp, fp = cumulative(tpo), cumulative(fpo)
	}
	switch {
	case npos == 0:
		return Binary{}, ErrNoPositives
	case nneg == 0:
		return Binary{}, ErrNoNegatives
	}
	b := smiycCurve(thr, tp, fp, float64(npos), float64(nneg))
	b.Pixels, b.Positives = npos+nneg, npos
	return b, nil
}

func cumulative(c []int64) []float64 {
	out := make([]float64, len(c))
	var s int64
	for i, v := range c {
		s += v
		out[i] = float64(s)
	}
	return out
}

// smiycCurve is curves_from_cmats: collapse runs of equal thresholds to
// their last entry (keeping the very first entry too, as the official
// code does — with tied top thresholds that adds a partial first point,
// which is why the order of ties matters), close the curve at both ends,
// then AP = Σ Δrecall · precision, FPR95 at the first point with
// TPR >= 0.95, AUROC by the trapezoid rule.
func smiycCurve(thr, tp, fp []float64, npos, nneg float64) Binary {
	n := len(thr)
	keep := []int{0}
	for i := 0; i+1 < n; i++ {
		if thr[i] != thr[i+1] {
			keep = append(keep, i)
		}
	}
	keep = append(keep, n-1)
	var ctp, cfp, cthr []float64
	for _, i := range keep {
		ctp, cfp, cthr = append(ctp, tp[i]), append(cfp, fp[i]), append(cthr, thr[i])
	}
	if ctp[0] != 0 || cfp[0] != 0 {
		ctp = append([]float64{0}, ctp...)
		cfp = append([]float64{0}, cfp...)
		cthr = append([]float64{slices.Max(cthr) + 1}, cthr...)
	}
	if ctp[len(ctp)-1] != npos || cfp[len(cfp)-1] != nneg {
		ctp = append(ctp, npos)
		cfp = append(cfp, nneg)
		cthr = append(cthr, slices.Max(cthr)-1)
	}
	m := len(ctp)
	tpr, fpr, prec := make([]float64, m), make([]float64, m), make([]float64, m)
	for i := range m {
		tpr[i] = ctp[i] / npos // tp + fn = npos at every point
		fpr[i] = cfp[i] / nneg
		prec[i] = 1
		if d := ctp[i] + cfp[i]; d > 0 {
			prec[i] = ctp[i] / d
		}
	}
	var b Binary
	for i := 1; i < m; i++ {
		b.AP += (tpr[i] - tpr[i-1]) * prec[i]
		b.AUROC += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
	}
	b.FPR95 = 1
	if i, _ := slices.BinarySearch(tpr, TPRTarget); i < m {
		b.FPR95 = fpr[i]
		b.Threshold95 = float32(cthr[i])
	}
	return b
}
