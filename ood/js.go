package ood

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/tensor"
)

// DefaultT is the softmax temperature of the NFlowJS score (paper eq. 7 and
// section 6.4, Table 10: T = 2 is best for divergence-based scores).
const DefaultT = 2

// JSDivergence returns the N x H x W map of the NFlowJS divergence
//
//	s^{ij}(x) = JS(U, softmax(l^{ij}/T))     (paper eq. 7, in nats)
//
// for NCHW logits. It lies in [0, JSMax(K)]: near 0 where the softmax is
// close to uniform, as the model is trained to predict on anomalies, so the
// ANOMALY score is its negation (see JSAnomaly and Kind NFlowJS).
func JSDivergence(logits *tensor.Tensor, T float32) (*tensor.Tensor, error) {
	return jsMap(logits, T, 1)
}

// JSAnomaly returns −JS(U, softmax(l/T)), the NFlowJS anomaly score with
// the package orientation (higher = more anomalous).
func JSAnomaly(logits *tensor.Tensor, T float32) (*tensor.Tensor, error) {
	return jsMap(logits, T, -1)
}

func jsMap(logits *tensor.Tensor, T float32, sign float32) (*tensor.Tensor, error) {
	n, k, h, w, err := dims(logits)
	if err != nil {
		return nil, err
	}
	out := tensor.New(n, h, w)
	if err := JSDivergenceInto(out.Data, logits.Data, n, k, h*w, T, sign); err != nil {
		return nil, err
	}
	return out, nil
}

// JSDivergenceInto is the slice form of JSDivergence: logits holds n images
// of k x hw values (NCHW), dst receives n·hw values sign·JS(U, softmax(l/T)).
// Use sign = 1 for the divergence and −1 for the anomaly score.
func JSDivergenceInto(dst, logits []float32, n, k, hw int, T, sign float32) error {
	if err := checkSlices(dst, logits, n, k, hw, T); err != nil {
		return err
	}
	forPixels(n, hw, func(img, i0, i1 int) {
		base := img * k * hw
		jsRange(dst[img*hw+i0:img*hw+i1], logits[base+i0:base+(k-1)*hw+i1], hw, k, i1-i0, 1/T, sign)
	})
	return nil
}

// JSMax returns max_p JS(U, p) for K classes, reached at one-hot p.
func JSMax(k int) float64 {
	u := 1 / float64(k)
	return 0.5*(1-u)*math.Log(2) + 0.5*u*math.Log(2*u/(u+1)) + 0.5*math.Log(2/(1+u))
}

func dims(t *tensor.Tensor) (n, k, h, w int, err error) {
	if t == nil || len(t.Shape) != 4 {
		var shape []int
		if t != nil {
			shape = t.Shape
		}
		return 0, 0, 0, 0, fmt.Errorf("ood: logits must be a 4-D NCHW tensor, have shape %v", shape)
	}
	n, k, h, w = t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	if k < 1 || n*k*h*w != len(t.Data) {
		return 0, 0, 0, 0, fmt.Errorf("ood: logits shape %v does not match %d values", t.Shape, len(t.Data))
	}
	return n, k, h, w, nil
}

func checkSlices(dst, logits []float32, n, k, hw int, T float32) error {
	if n < 0 || k < 1 || hw < 0 {
		return fmt.Errorf("ood: invalid dimensions n=%d k=%d hw=%d", n, k, hw)
	}
	if len(logits) != n*k*hw {
		return fmt.Errorf("ood: %d logits, want n·k·hw = %d", len(logits), n*k*hw)
	}
	if len(dst) != n*hw {
		return fmt.Errorf("ood: output has %d values, want n·hw = %d", len(dst), n*hw)
	}
	if !(T > 0) || math.IsInf(float64(T), 0) {
		return fmt.Errorf("ood: temperature must be positive and finite, have %v", T)
	}
	return nil
}
