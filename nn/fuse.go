package nn

import (
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

// foldable reports whether bn normalises with fixed statistics (evaluation
// mode with running statistics): a per-channel affine map.
func (b *BatchNorm2d) foldable() bool {
	return !b.training && b.RunningMean != nil && b.RunningVar != nil
}

// fusing reports whether Sequential.Forward may fuse layers now.
func fusing() bool { return !autograd.GradEnabled() && !autograd.Tracing() }

// fuseConvBN runs layers[0:n] as one fused layer on x when they match the
// pattern (a convolution followed by an evaluation-mode BN and optionally
// an activation, or directly by an activation), and returns n = 0
// otherwise.
func fuseConvBN(layers []Layer, x *autograd.Var) (y *autograd.Var, n int) {
	if len(layers) < 2 {
		return nil, 0
	}
	bn, ok := layers[1].(*BatchNorm2d)
	if !ok || !bn.foldable() {
		if act, isAct := activationOf(layers[1]); isAct {
			if c, isConv := layers[0].(*Conv2d); isConv {
				return ConvAct(c, x, act), 2
			}
		}
		return nil, 0
	}
	act, n := tensor.ActNone, 2
	if len(layers) > 2 {
		if a, ok := activationOf(layers[2]); ok {
			act, n = a, 3
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

// fuseBNAct runs an evaluation-mode BatchNorm2d and the activation after
// it (if any) as one pass, and returns n = 0 when layers[0] is not such a
// BN.
func fuseBNAct(layers []Layer, x *autograd.Var) (y *autograd.Var, n int) {
	bn, ok := layers[0].(*BatchNorm2d)
	if !ok || !bn.foldable() {
		return nil, 0
	}
	act, n := tensor.ActNone, 1
	if len(layers) > 1 {
		if a, ok := activationOf(layers[1]); ok {
			act, n = a, 2
		}
	}
	return BNAct(bn, x, act), n
}

// foldBN returns the weights w[Co,…] and bias (may be nil) of a
// convolution with the evaluation-mode bn folded in.
func foldBN(w *tensor.Tensor, bias *autograd.Var, bn *BatchNorm2d) (*tensor.Tensor, *tensor.Tensor) {
	scale, shift := autograd.BatchNormEvalAffine(bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar, bn.Eps)
	co := w.Shape[0]
	per := len(w.Data) / co
	fw, fb := tensor.New(w.Shape...), tensor.New(co)
	for o := 0; o < co; o++ {
		for i, v := range w.Data[o*per : (o+1)*per] {
			fw.Data[o*per+i] = v * scale[o]
		}
		fb.Data[o] = shift[o]
		if bias != nil {
			fb.Data[o] = bias.Value.Data[o]*scale[o] + shift[o]
		}
	}
	return fw, fb
}

// activationOf returns the fused form of l, if it is an activation.
func activationOf(l Layer) (tensor.Act, bool) {
	switch l.(type) {
	case ReLU, *ReLU:
		return tensor.ActReLU, true
	case Hardswish, *Hardswish:
		return tensor.ActHardswish, true
	}
	return tensor.ActNone, false
}

// ConvAct returns act(c(x)) (act ReLU or Hardswish, or none), with the
// activation applied as the convolution writes its output when inference
// fusion applies; with gradients, ReLU still runs as one autograd op
// (autograd.Conv2dReLU) and Hardswish as a second layer.
func ConvAct(c *Conv2d, x *autograd.Var, act tensor.Act) *autograd.Var {
	if fusing() {
		var b *tensor.Tensor
		if c.Bias != nil {
			b = c.Bias.Value
		}
		return autograd.Const(tensor.Conv2dAct(x.Value, c.Weight.Value, b, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation}, act))
	}
	if act == tensor.ActReLU {
		return autograd.Conv2dReLU(x, c.Weight, c.Bias, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation})
	}
	return applyAct(c.Forward(x), act)
}

// applyAct applies act as an autograd op.
func applyAct(y *autograd.Var, act tensor.Act) *autograd.Var {
	switch act {
	case tensor.ActReLU:
		return autograd.Relu(y)
	case tensor.ActHardswish:
		return autograd.Hardswish(y)
	}
	return y
}

// BNAct returns act(bn(x)) (act ReLU or Hardswish, or none): in one pass
// over x when inference fusion applies (no gradients, no tracer,
// evaluation mode), else as the two layers. Pre-activation networks
// (DenseNet's BN-ReLU-conv) call it for their BN-ReLU pairs.
func BNAct(bn *BatchNorm2d, x *autograd.Var, act tensor.Act) *autograd.Var {
	if fusing() && bn.foldable() {
		scale, shift := autograd.BatchNormEvalAffine(bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar, bn.Eps)
		return autograd.Const(tensor.ChannelAffineAct(x.Value, scale, shift, act))
	}
	return applyAct(bn.Forward(x), act)
}
