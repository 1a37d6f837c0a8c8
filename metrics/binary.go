package metrics

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Sentinel errors; the errors returned by this package wrap them with detail.
var (
	ErrShape       = errors.New("metrics: shape mismatch")
	ErrLabel       = errors.New("metrics: label outside {0, 1, ignore}")
	ErrNaN         = errors.New("metrics: NaN score")
	ErrScoreRange  = errors.New("metrics: score outside the protocol's range")
	ErrNoPositives = errors.New("metrics: no positive (anomaly) pixels")
	ErrNoNegatives = errors.New("metrics: no negative (inlier) pixels")
)

// DefaultIgnore is the void label of every public dense-anomaly benchmark.
const DefaultIgnore = 255

// TPRTarget is the true-positive rate at which FPR95 is read.
const TPRTarget = 0.95

// Binary holds the pixel-level OOD detection metrics of one evaluation.
type Binary struct {
	AP    float64 `json:"ap"`    // average precision (scikit-learn's step-wise sum)
	AUROC float64 `json:"auroc"` // area under the ROC curve (trapezoid)
	FPR95 float64 `json:"fpr95"` // FPR at the first threshold whose TPR >= 0.95
	// Threshold95 is the score threshold of FPR95: pixels with
	// score >= Threshold95 are predicted anomalous.
	Threshold95 float32 `json:"threshold95"`
	Pixels      int64   `json:"pixels"`    // non-void pixels
	Positives   int64   `json:"positives"` // anomaly pixels
}

// sortKey maps a float32 to a uint32 whose unsigned order is the float order
// (negative zero is folded onto positive zero, as NumPy treats them equal).
func sortKey(f float32) uint32 {
	b := math.Float32bits(f)
	if b == 0x80000000 {
		b = 0
	}
	if b&0x80000000 != 0 {
		return ^b
	}
	return b | 0x80000000
}

// keyFloat inverts sortKey.
func keyFloat(k uint32) float32 {
	if k&0x80000000 != 0 {
		return math.Float32frombits(k &^ 0x80000000)
	}
	return math.Float32frombits(^k)
}

// groupAcc folds the groups of tied scores, from the highest score down, into
// AP, AUROC and FPR95. Counts are integers so the sums are reproducible.
type groupAcc struct {
	P, N      uint64  // totals
	tp, fp    uint64  // cumulative counts before the next group
	apSum     float64 // Σ dp · tp/(tp+fp); AP = apSum / P
	auc2      u128    // Σ dn · (2 tp_prev + dp); AUROC = auc2 / (2 P N)
	found     bool    // FPR95 located
	fpAt95    uint64
	keyAt95   uint32
	curve     *Curve // optional
	withCurve bool
}

func (g *groupAcc) add(key uint32, dp, dn uint64) {
	g.auc2.addMul(dn, 2*g.tp+dp)
	g.tp += dp
	g.fp += dn
	if dp > 0 {
		g.apSum += float64(dp) * (float64(g.tp) / float64(g.tp+g.fp))
	}
	if !g.found && float64(g.tp)/float64(g.P) >= TPRTarget {
		g.found = true
		g.fpAt95 = g.fp
		g.keyAt95 = key
	}
	if g.withCurve {
		g.curve.Thresholds = append(g.curve.Thresholds, keyFloat(key))
		g.curve.TP = append(g.curve.TP, int64(g.tp))
		g.curve.FP = append(g.curve.FP, int64(g.fp))
	}
}

func (g *groupAcc) result() Binary {
	return Binary{
		AP:          g.apSum / float64(g.P),
		AUROC:       g.auc2.float() / (2 * float64(g.P) * float64(g.N)),
		FPR95:       float64(g.fpAt95) / float64(g.N),
		Threshold95: keyFloat(g.keyAt95),
		Pixels:      int64(g.P + g.N),
		Positives:   int64(g.P),
	}
}

func checkTotals(p, n uint64) error {
	if p == 0 {
		return fmt.Errorf("%w (%d non-void pixels)", ErrNoPositives, n)
	}
	if n == 0 {
		return fmt.Errorf("%w (%d non-void pixels)", ErrNoNegatives, p)
	}
	return nil
}

// Curve holds the cumulative counts at every distinct threshold, from the
// highest score down: at Thresholds[i], tp = TP[i] positives and fp = FP[i]
// negatives have score >= Thresholds[i]. It is scikit-learn's
// _binary_clf_curve; the rate and precision slices derive from it.
type Curve struct {
	Thresholds []float32
	TP, FP     []int64
	P, N       int64
}

// TPR returns tp/P at each threshold (the recall).
func (c *Curve) TPR() []float64 { return ratio(c.TP, c.P) }

// FPR returns fp/N at each threshold.
func (c *Curve) FPR() []float64 { return ratio(c.FP, c.N) }

// Recall is TPR.
func (c *Curve) Recall() []float64 { return c.TPR() }

// Precision returns tp/(tp+fp) at each threshold.
func (c *Curve) Precision() []float64 {
	out := make([]float64, len(c.TP))
	for i := range out {
		out[i] = float64(c.TP[i]) / float64(c.TP[i]+c.FP[i])
	}
	return out
}

func ratio(a []int64, d int64) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = float64(v) / float64(d)
	}
	return out
}

// BestF1 returns the threshold of the curve point with the highest pixel
// F1 = 2·Prec·Rec/(Prec+Rec), and that F1. SMIYC's component evaluation
// binarises scores at this threshold (score > threshold in its code; pass
// the returned value to Components.Add to match).
func (c *Curve) BestF1() (threshold float32, f1 float64) {
	best := -1.0
	for i := range c.TP {
		tp := float64(c.TP[i])
		f := 2 * tp / (tp + float64(c.FP[i]) + float64(c.P))
		if f > best {
			best, threshold = f, c.Thresholds[i]
		}
	}
	return threshold, best
}

// u128 is an unsigned 128-bit accumulator: the AUROC numerator reaches
// 2·P·N, which overflows 64 bits beyond about 6e9 pixels (the streaming
// engine is meant for 1e10 and more).
type u128 struct{ hi, lo uint64 }

func (u *u128) addMul(a, b uint64) {
	hi, lo := bits.Mul64(a, b)
	var c uint64
	u.lo, c = bits.Add64(u.lo, lo, 0)
	u.hi += hi + c
}

func (u *u128) add(v u128) {
	var c uint64
	u.lo, c = bits.Add64(u.lo, v.lo, 0)
	u.hi += v.hi + c
}

func (u u128) float() float64 { return float64(u.hi)*0x1p64 + float64(u.lo) }
