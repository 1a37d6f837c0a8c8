package ood

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
)

// NativeModel is a model whose logits are the bilinear upsampling of a
// coarser grid (seg.Model): UpsampleNative(NativeLogits(x), H, W) equals
// Logits(x), and UpsampleNative maps any [N,C,h',w'] map of the native grid
// to H×W. Scoring the native grid and upsampling the score map
// (ScoreNative) costs a fraction of scoring H×W logits.
type NativeModel interface {
	Model
	NativeLogits(images *tensor.Tensor) (*tensor.Tensor, error)
	UpsampleNative(x *tensor.Tensor, h, w int) (*tensor.Tensor, error)
}

// ScoreNative scores native-resolution logits [N,K,h',w'] with s and
// upsamples the [N,1,h',w'] score map to h×w as m upsamples its logits.
// It is the one native-resolution scoring path of evaluate, calibrate,
// predict and serve, so a threshold calibrated on it applies to them all.
func ScoreNative(s Scorer, m NativeModel, native *tensor.Tensor, h, w int) (*tensor.Tensor, error) {
	sc, err := s.Score(native)
	if err != nil {
		return nil, err
	}
	n, _, nh, nw := native.NCHW()
	if len(sc.Data) != n*nh*nw {
		return nil, fmt.Errorf("ood: %d scores for a %dx%dx%d native grid", len(sc.Data), n, nh, nw)
	}
	up, err := m.UpsampleNative(tensor.FromData(sc.Data, n, 1, nh, nw), h, w)
	if err != nil {
		return nil, err
	}
	if len(up.Data) != n*h*w {
		return nil, fmt.Errorf("ood: upsampled score map of shape %v for %d images of %dx%d", up.Shape, n, h, w)
	}
	return up, nil
}
