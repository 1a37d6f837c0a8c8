package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// ClassLabels converts generic-encoding labels to cross-entropy targets:
// class ids 0..K−1 stay, everything else (ignore, anomaly, unknown) becomes
// ignore. Closed-set training must not fit anomaly pixels to any class.
func ClassLabels(labels []uint8, k int, ignore int32) []int32 {
	out := make([]int32, len(labels))
	for i, v := range labels {
		if int(v) < k {
			out[i] = int32(v)
		} else {
			out[i] = ignore
		}
	}
	return out
}

// Argmax returns the per-pixel winning class of logits [N,K,H,W] as
// N·H·W uint8 values.
func Argmax(logits *tensor.Tensor) []uint8 {
	n, k, h, w := logits.NCHW()
	hw := h * w
	out := make([]uint8, n*hw)
	tensor.ParallelFor(n, func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			base := logits.Data[b*k*hw : (b+1)*k*hw]
			for p := 0; p < hw; p++ {
				best, arg := base[p], 0
				for c := 1; c < k; c++ {
					if v := base[c*hw+p]; v > best {
						best, arg = v, c
					}
				}
				out[b*hw+p] = uint8(arg)
			}
		}
	})
	return out
}

// ValResult is the closed-set evaluation of a model on a split.
type ValResult struct {
	Confusion *metrics.Confusion
	MIoU      float64 // mean IoU over the K classes (metrics.Confusion.MIoU)
	PixelAcc  float64 // fraction of evaluated pixels classified correctly
	Loss      float64 // mean cross-entropy over evaluated pixels
	Images    int
	// AnomalyAP and AnomalyFPR95 are the pixel-level detection metrics
	// (pooled, exact) of the NFlowJS score −JS(U, softmax(l/2)) (the uno
	// score for a model with a negative class) on the
	// split's anomaly pixels (void excluded); NaN when it has none. A val
	// split with anomalies of kinds unlike the test split's measures
	// detection without touching the test anomalies (joint --lambda auto).
	AnomalyAP, AnomalyFPR95 float64
}

// valLogits returns the K inlier logits of x and, for a model with a
// negative class, its K+1 outputs (nil otherwise), from one pass.
func valLogits(m *seg.Model, x *tensor.Tensor) (logits, all *tensor.Tensor, err error) {
	if !m.HasNegativeClass() {
		logits, err = m.Logits(x)
		return logits, nil, err
	}
	if all, err = m.AllLogits(x); err != nil {
		return nil, nil, err
	}
	return tensor.Split(all, m.Config().NumClasses, 1)[0], all, nil
}

// NewValLoader returns an in-order loader without augmentation that caches
// decoded images (reuse it across epochs). All images of the split must
// share one size.
func NewValLoader(split *dataset.Split, batch int) (*dataset.Loader, error) {
	return dataset.NewLoader(split, dataset.LoaderConfig{BatchSize: batch, Cache: true})
}

// Validate runs m in eval mode over (up to limit, 0 = all) images served
// by ld (see NewValLoader) and accumulates the confusion matrix over inlier
// pixels only: ignore, anomaly and unknown pixels are skipped.
func Validate(ctx context.Context, m *seg.Model, ld *dataset.Loader, limit int) (*ValResult, error) {
	k := m.Config().NumClasses
	it := ld.Epoch(ctx, 0)
	defer it.Close()
	res := &ValResult{Confusion: metrics.NewConfusion(k), AnomalyAP: math.NaN(), AnomalyFPR95: math.NaN()}
	var lossSum float64
	var lossPix int
	const ignore = 255
	meta := ld.Split().Meta
	anomaly, void := uint8(meta.AnomalyLabel), uint8(meta.IgnoreLabel)
	var scores []float32
	var scoreLabels []uint8
	anomalies := 0
	for limit <= 0 || res.Images < limit {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		n := b.N
		if limit > 0 {
			n = min(n, limit-res.Images)
		}
		hw := b.H * b.W
		x := tensor.FromData(b.Images[:n*3*hw], n, 3, b.H, b.W)
		logits, all, err := valLogits(m, x)
		if err != nil {
			return nil, err
		}
		labels := ClassLabels(b.Labels[:n*hw], k, ignore)
		gt := make([]uint8, len(labels))
		valid := 0
		for i, v := range labels {
			gt[i] = uint8(v)
			if v != ignore {
				valid++
			}
		}
		if err := res.Confusion.Add(gt, Argmax(logits), ignore); err != nil {
			return nil, err
		}
		var js *tensor.Tensor
		if all != nil {
			js, err = ood.Compute(ood.UNO, all, 1)
		} else {
			js, err = ood.JSAnomaly(logits, seg.DefaultTemperature)
		}
		if err != nil {
			return nil, err
		}
		scores = append(scores, js.Data...)
		for _, v := range b.Labels[:n*hw] {
			l := uint8(0) // inlier (any class, unknown)
			switch v {
			case anomaly:
				l = 1
				anomalies++
			case void:
				l = void
			}
			scoreLabels = append(scoreLabels, l)
		}
		if valid > 0 {
			restore := autograd.NoGrad()
			l := autograd.CrossEntropy(autograd.Const(logits), labels, ignore).Value.Data[0]
			restore()
			lossSum += float64(l) * float64(valid)
			lossPix += valid
		}
		res.Images += n
	}
	if res.Images == 0 {
		return nil, fmt.Errorf("train: validation split is empty")
	}
	res.MIoU = res.Confusion.MIoU()
	var diag, total int64
	for g := 0; g < k; g++ {
		for p := 0; p < k; p++ {
			total += res.Confusion.M[g*k+p]
		}
		diag += res.Confusion.M[g*k+g]
	}
	res.PixelAcc = float64(diag) / math.Max(float64(total), 1)
	if anomalies > 0 && anomalies < len(scoreLabels) {
		if void == 0 || void == 1 {
			return nil, fmt.Errorf("train: validation: ignore label %d collides with the binary anomaly labels", void)
		}
		bin, err := metrics.Exact(scores, scoreLabels, void)
		if err != nil {
			return nil, err
		}
		res.AnomalyAP, res.AnomalyFPR95 = bin.AP, bin.FPR95
	}
	res.Loss = math.NaN()
	if lossPix > 0 {
		res.Loss = lossSum / float64(lossPix)
	}
	return res, nil
}
