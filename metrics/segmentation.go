package metrics

import "fmt"

// Confusion is a K x K confusion matrix of semantic segmentation:
// M[g*K+p] counts pixels of ground-truth class g predicted as class p.
type Confusion struct {
	K int
	M []int64
}

// NewConfusion returns an empty k-class confusion matrix.
func NewConfusion(k int) *Confusion { return &Confusion{K: k, M: make([]int64, k*k)} }

// Add accumulates one batch of per-pixel ground truth and predictions.
// Pixels whose ground truth is ignore are skipped; any other label or
// prediction outside [0, K) is an error (and nothing is added).
func (c *Confusion) Add(gt, pred []uint8, ignore uint8) error {
	if len(gt) != len(pred) {
		return fmt.Errorf("%w: %d labels, %d predictions", ErrShape, len(gt), len(pred))
	}
	for i, g := range gt {
		if g == ignore {
			continue
		}
		if int(g) >= c.K || int(pred[i]) >= c.K {
			return fmt.Errorf("%w: label %d / prediction %d at index %d with %d classes", ErrLabel, g, pred[i], i, c.K)
		}
	}
	for i, g := range gt {
		if g != ignore {
			c.M[int(g)*c.K+int(pred[i])]++
		}
	}
	return nil
}

// Merge adds the counts of o (same K).
func (c *Confusion) Merge(o *Confusion) error {
	if o.K != c.K {
		return fmt.Errorf("%w: merging %d- and %d-class confusion matrices", ErrShape, c.K, o.K)
	}
	for i, v := range o.M {
		c.M[i] += v
	}
	return nil
}

// IoU returns per-class intersection over union TP/(TP+FP+FN); classes that
// never occur (in ground truth or prediction) get 0, as scikit-learn's
// jaccard_score with zero_division=0.
func (c *Confusion) IoU() []float64 {
	k := c.K
	out := make([]float64, k)
	for i := 0; i < k; i++ {
		tp := c.M[i*k+i]
		var row, col int64
		for j := 0; j < k; j++ {
			row += c.M[i*k+j]
			col += c.M[j*k+i]
		}
		if d := row + col - tp; d > 0 {
			out[i] = float64(tp) / float64(d)
		}
	}
	return out
}

// MIoU returns the mean of IoU over all K classes.
func (c *Confusion) MIoU() float64 { return mean(c.IoU()) }

// OpenIoU returns the per-class open-set IoU of outlier-aware segmentation
// (DenseHybrid, Grcić et al. ECCV 2022; NFlowJS paper section 4.2): the
// matrix has K−1 inlier classes plus the anomaly class anomaly (usually the
// last). True-positive anomaly pixels (labelled and predicted anomaly) are
// not counted; for each inlier class c
//
//	open-IoU_c = TP_c / (TP_c + FP_c + FN_c)
//
// where FP_c includes anomalies predicted as c and FN_c includes pixels of c
// predicted as anomaly. The result has the K−1 inlier classes in order.
func (c *Confusion) OpenIoU(anomaly int) ([]float64, error) {
	k := c.K
	if anomaly < 0 || anomaly >= k {
		return nil, fmt.Errorf("metrics: anomaly class %d outside [0, %d)", anomaly, k)
	}
	var out []float64
	for i := 0; i < k; i++ {
		if i == anomaly {
			continue
		}
		tp := c.M[i*k+i]
		var row, col int64
		for j := 0; j < k; j++ {
			row += c.M[i*k+j]
			col += c.M[j*k+i]
		}
		v := 0.0
		if d := row + col - tp; d > 0 {
			v = float64(tp) / float64(d)
		}
		out = append(out, v)
	}
	return out, nil
}

// OpenMIoU averages OpenIoU over the K−1 inlier classes. With perfect
// anomaly detection it equals the closed-set mIoU over the inlier classes.
func (c *Confusion) OpenMIoU(anomaly int) (float64, error) {
	v, err := c.OpenIoU(anomaly)
	if err != nil {
		return 0, err
	}
	return mean(v), nil
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
