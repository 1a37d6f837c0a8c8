package autograd

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/tensor"
)

// BatchNorm2d normalises each channel of x[N,C,H,W] and applies the affine
// map y = γ·x̂ + β (Ioffe & Szegedy, "Batch Normalization: Accelerating Deep
// Network Training by Reducing Internal Covariate Shift", arXiv:1502.03167):
//
//	x̂ = (x − μ) / √(σ² + eps)
//
// In training mode (train true) μ and σ² are the biased statistics of the
// batch over N·H·W values per channel, gradients flow through them, and the
// running statistics are updated in place exactly as PyTorch does:
//
//	runMean ← (1 − momentum)·runMean + momentum·μ
//	runVar  ← (1 − momentum)·runVar  + momentum·σ²·M/(M − 1)   (unbiased, M = N·H·W)
//
// In eval mode μ and σ² are runMean and runVar and x̂ is an affine function
// of x. runMean and runVar may be nil (PyTorch's track_running_stats=False):
// batch statistics are then used in both modes and nothing is updated.
// gamma and beta may be nil (affine=false). PyTorch's defaults are
// momentum 0.1 and eps 1e-5.
//
// It panics if the shapes disagree or if training on a single value per
// channel (the unbiased variance is undefined), as PyTorch does.
func BatchNorm2d(x, gamma, beta *Var, runMean, runVar *tensor.Tensor, train bool, momentum, eps float32) *Var {
	n, c, h, w := x.Value.NCHW()
	for _, p := range []struct {
		name string
		t    *tensor.Tensor
	}{{"gamma", varValue(gamma)}, {"beta", varValue(beta)}, {"runMean", runMean}, {"runVar", runVar}} {
		if p.t != nil && len(p.t.Data) != c {
			panic(fmt.Sprintf("autograd.BatchNorm2d: %s has shape %v, want [%d] for input %v", p.name, p.t.Shape, c, x.Value.Shape))
		}
	}
	if (runMean == nil) != (runVar == nil) {
		panic("autograd.BatchNorm2d: runMean and runVar must both be set or both be nil")
	}
	hw := h * w
	m := n * hw
	batchStats := train || runMean == nil
	if batchStats && m < 2 && train {
		panic(fmt.Sprintf("autograd.BatchNorm2d: expected more than 1 value per channel when training, got input %v", x.Value.Shape))
	}

	xd := x.Value.Data
	mean := make([]float32, c)
	invStd := make([]float32, c)
	tensor.ParallelFor(c, func(c0, c1 int) {
		for ch := c0; ch < c1; ch++ {
			if !batchStats {
				mean[ch] = runMean.Data[ch]
				invStd[ch] = float32(1 / math.Sqrt(float64(runVar.Data[ch])+float64(eps)))
				continue
			}
			// Two passes in float64: stable for large M and large means.
			var s float64
			for i := 0; i < n; i++ {
				for _, v := range xd[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					s += float64(v)
				}
			}
			mu := s / float64(m)
			var ss float64
			for i := 0; i < n; i++ {
				for _, v := range xd[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					d := float64(v) - mu
					ss += d * d
				}
			}
			biased := ss / float64(m)
			mean[ch] = float32(mu)
			invStd[ch] = float32(1 / math.Sqrt(biased+float64(eps)))
			if train && runMean != nil {
				mo := float64(momentum)
				runMean.Data[ch] = float32((1-mo)*float64(runMean.Data[ch]) + mo*mu)
				unbiased := ss / float64(m-1)
				runVar.Data[ch] = float32((1-mo)*float64(runVar.Data[ch]) + mo*unbiased)
			}
		}
	})

	gd, bd := dataOrNil(gamma), dataOrNil(beta)
	scales, shifts := make([]float32, c), make([]float32, c)
	for ch := range scales {
		scales[ch], shifts[ch] = bnAffine(mean[ch], invStd[ch], gd, bd, ch)
	}
	y := tensor.ChannelAffineAct(x.Value, scales, shifts, tensor.ActNone)

	out := NewOp(y, func(g *tensor.Tensor) {
		gy := g.Data
		// Per channel: Σg and Σg·x̂, both needed by every gradient.
		sumG := make([]float64, c)
		sumGX := make([]float64, c)
		tensor.ParallelFor(c, func(c0, c1 int) {
			for ch := c0; ch < c1; ch++ {
				var sg, sgx float64
				mu, is := float64(mean[ch]), float64(invStd[ch])
				for i := 0; i < n; i++ {
					off := (i*c + ch) * hw
					for j, gv := range gy[off : off+hw] {
						sg += float64(gv)
						sgx += float64(gv) * (float64(xd[off+j]) - mu) * is
					}
				}
				sumG[ch], sumGX[ch] = sg, sgx
			}
		})
		if needsGrad(gamma) {
			gg := tensor.New(gamma.Value.Shape...)
			for ch := range gg.Data {
				gg.Data[ch] = float32(sumGX[ch])
			}
			gamma.accumOwned(gg)
		}
		if needsGrad(beta) {
			gb := tensor.New(beta.Value.Shape...)
			for ch := range gb.Data {
				gb.Data[ch] = float32(sumG[ch])
			}
			beta.accumOwned(gb)
		}
		if !needsGrad(x) {
			return
		}
		gx := tensor.New(n, c, h, w)
		tensor.ParallelFor(n*c, func(p0, p1 int) {
			for p := p0; p < p1; p++ {
				ch := p % c
				k := invStd[ch]
				if gd != nil {
					k *= gd[ch]
				}
				off := p * hw
				src, dst := gy[off:off+hw], gx.Data[off:off+hw]
				if !batchStats {
					// x̂ is affine in x: ∂y/∂x = γ/√(σ²+eps).
					for i, gv := range src {
						dst[i] = k * gv
					}
					continue
				}
				// Closed form through the batch statistics:
				// ∂L/∂x = γ·invStd·(g − Σg/M − x̂·Σ(g·x̂)/M).
				mg := float32(sumG[ch] / float64(m))
				mgx := float32(sumGX[ch] / float64(m))
				mu, is := mean[ch], invStd[ch]
				for i, gv := range src {
					xh := (xd[off+i] - mu) * is
					dst[i] = k * (gv - mg - xh*mgx)
				}
			}
		})
		x.accumOwned(gx)
	}, x, gamma, beta)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("BatchNorm", out, []*Var{x, gamma, beta}, map[string]any{"mean": runMean, "var": runVar, "eps": eps, "train": train})
	}
	return out
}

func varValue(v *Var) *tensor.Tensor {
	if v == nil {
		return nil
	}
	return v.Value
}

func dataOrNil(v *Var) []float32 {
	if v == nil {
		return nil
	}
	return v.Value.Data
}

// bnAffine is channel ch's y = x·scale + shift of a batch norm with the
// given mean and 1/σ (γ, β may be nil): the one formula of the op and of
// the inference fusions.
func bnAffine(mean, invStd float32, gamma, beta []float32, ch int) (scale, shift float32) {
	scale, shift = invStd, -mean*invStd
	if gamma != nil {
		scale *= gamma[ch]
		shift *= gamma[ch]
	}
	if beta != nil {
		shift += beta[ch]
	}
	return scale, shift
}

// BatchNormEvalAffine returns the per-channel scale and shift of an
// evaluation-mode batch norm (running statistics; γ, β may be nil), as
// BatchNorm2d applies them: y = x·scale + shift.
func BatchNormEvalAffine(gamma, beta *Var, runMean, runVar *tensor.Tensor, eps float32) (scale, shift []float32) {
	c := len(runMean.Data)
	gd, bd := dataOrNil(gamma), dataOrNil(beta)
	scale, shift = make([]float32, c), make([]float32, c)
	for ch := 0; ch < c; ch++ {
		invStd := float32(1 / math.Sqrt(float64(runVar.Data[ch])+float64(eps)))
		scale[ch], shift[ch] = bnAffine(runMean.Data[ch], invStd, gd, bd, ch)
	}
	return scale, shift
}
