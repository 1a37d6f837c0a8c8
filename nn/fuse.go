package nn

import (
	"math"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// Inference fusion. Without gradients (autograd.NoGrad) and without an
// export tracer, a Sequential runs "convolution, evaluation-mode
// BatchNorm2d, optional ReLU or Hardswish" as one layer: the normalisation
// folded into the convolution's weights and bias,
//
//	W'[o] = W[o]·s[o],  b'[o] = b[o]·s[o] + t[o],  s = γ/√(σ²+ε),  t = β − μ·s,
//
// and the activation applied as the output is produced. It saves the
// normalisation's and the activation's passes over memory and their
// tensors, which dominate MobileNets on a CPU. The folded result differs
// from the unfused one by float32 rounding only (the scale is applied to
// the weights instead of the sum); training and export always run the
// layers one by one.

// fusing reports whether Sequential.Forward may fuse layers now.
func fusing() bool { return !autograd.GradEnabled() && !autograd.Tracing() }

// fuseConvBN runs layers[0:n] as one fused layer on x when they match the
// pattern, and returns n = 0 otherwise.
func fuseConvBN(layers []Layer, x *autograd.Var) (y *autograd.Var, n int) {
	if len(layers) < 2 {
		return nil, 0
	}
	bn, ok := layers[1].(*BatchNorm2d)
	if !ok || bn.training || bn.RunningMean == nil || bn.RunningVar == nil {
		return nil, 0
	}
	act, n := tensor.ActNone, 2
	if len(layers) > 2 {
		switch layers[2].(type) {
		case ReLU, *ReLU:
			act, n = tensor.ActReLU, 3
		case Hardswish, *Hardswish:
			act, n = tensor.ActHardswish, 3
		}
	}
	switch c := layers[0].(type) {
	case *Conv2d:
		w, b := foldBN(c.Weight.Value, c.Bias, bn)
		return autograd.Const(tensor.Conv2dAct(x.Value, w, b, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation}, act)), n
	case *DepthwiseConv2d:
		w, b := foldBN(c.Weight.Value, c.Bias, bn)
		return autograd.Const(tensor.DepthwiseConv2dAct(x.Value, w, b, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation}, act)), n
	}
	return nil, 0
}

// foldBN returns the weights w[Co,…] and bias (may be nil) of a
// convolution with the evaluation-mode bn folded in. The per-channel scale
// and shift are computed as autograd.BatchNorm2d computes them.
func foldBN(w *tensor.Tensor, bias *autograd.Var, bn *BatchNorm2d) (*tensor.Tensor, *tensor.Tensor) {
	co := w.Shape[0]
	per := len(w.Data) / co
	fw, fb := tensor.New(w.Shape...), tensor.New(co)
	for o := 0; o < co; o++ {
		invStd := float32(1 / math.Sqrt(float64(bn.RunningVar.Data[o])+float64(bn.Eps)))
		scale, shift := invStd, -bn.RunningMean.Data[o]*invStd
		if bn.Weight != nil {
			g := bn.Weight.Value.Data[o]
			scale *= g
			shift *= g
		}
		if bn.Bias != nil {
			shift += bn.Bias.Value.Data[o]
		}
		for i, v := range w.Data[o*per : (o+1)*per] {
			fw.Data[o*per+i] = v * scale
		}
		fb.Data[o] = shift
		if bias != nil {
			fb.Data[o] = bias.Value.Data[o]*scale + shift
		}
	}
	return fw, fb
}
