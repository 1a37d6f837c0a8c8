package autograd

import (
	"github.com/nflowjs/nflowjs/tensor"
)

// Conv2d is the 2-D cross-correlation of x[N,Ci,H,W] with w[Co,Ci,KH,KW]
// plus the bias b[Co] (b may be nil), as torch.nn.functional.conv2d with
// groups = 1. The VJP is tensor.Conv2dBackward: ∂/∂x is the transposed
// convolution of g with w (skipped when x needs no gradient, e.g. an input
// image), ∂/∂w the correlation of x with g and ∂/∂b = Σ_{n,h,w} g.
func Conv2d(x, w, b *Var, o tensor.ConvOpts) *Var {
	y := tensor.Conv2d(x.Value, w.Value, varValue(b), o)
	out := NewOp(y, func(g *tensor.Tensor) { conv2dVJP(x, w, b, o, g) }, x, w, b)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Conv", out, []*Var{x, w, b}, map[string]any{"opts": o})
	}
	return out
}

// conv2dVJP accumulates the gradients of Conv2d(x, w, b, o) for the output
// gradient g into the inputs that need them.
func conv2dVJP(x, w, b *Var, o tensor.ConvOpts, g *tensor.Tensor) {
	if !needsGrad(w) && !needsGrad(b) { // frozen layer: ∂/∂x only
		x.accumOwned(tensor.Conv2dGradInput(x.Value, w.Value, g, o))
		return
	}
	gx, gw, gb := tensor.Conv2dBackward(x.Value, w.Value, g, o, needsGrad(x))
	if needsGrad(x) {
		x.accumOwned(gx)
	}
	w.accumOwned(gw)
	if needsGrad(b) {
		b.accumOwned(gb)
	}
}

// Conv2dReLU is Relu(Conv2d(x, w, b, o)) as one op. The convolution applies
// ReLU as it writes its output (tensor.Conv2dAct, bit for bit the two ops),
// and the backward pass masks the gradient with y > 0 (which holds exactly
// where the pre-activation is positive) before the convolution's VJP: the
// pre-activation tensor and the pass that writes it are never made. Under
// an export tracer it records the two ops.
func Conv2dReLU(x, w, b *Var, o tensor.ConvOpts) *Var {
	if tracer != nil {
		return Relu(Conv2d(x, w, b, o))
	}
	y := tensor.Conv2dAct(x.Value, w.Value, varValue(b), o, tensor.ActReLU)
	return NewOp(y, func(g *tensor.Tensor) {
		gp := zip2(g, y, reluMask)
		conv2dVJP(x, w, b, o, gp)
		tensor.Recycle(gp) // read by the VJP only; the next pass reuses it
	}, x, w, b)
}

// ConvTranspose2d is the transposed convolution (the adjoint of Conv2d with
// the same options) of x[N,Ci,H,W] with w[Ci,Co,KH,KW] in PyTorch's layout
// plus b[Co] (may be nil); outPad adds rows/columns at the bottom/right as
// PyTorch's output_padding. The VJP is tensor.ConvTranspose2dBackward.
func ConvTranspose2d(x, w, b *Var, o tensor.ConvOpts, outPad int) *Var {
	y := tensor.ConvTranspose2d(x.Value, w.Value, varValue(b), o, outPad)
	return NewOp(y, func(g *tensor.Tensor) {
		if !needsGrad(w) && !needsGrad(b) { // frozen layer: ∂/∂x only
			x.accumOwned(tensor.ConvTranspose2dGradInput(x.Value, w.Value, g, o, outPad))
			return
		}
		gx, gw, gb := tensor.ConvTranspose2dBackward(x.Value, w.Value, g, o, outPad, needsGrad(x))
		if needsGrad(x) {
			x.accumOwned(gx)
		}
		w.accumOwned(gw)
		if needsGrad(b) {
			b.accumOwned(gb)
		}
	}, x, w, b)
}

// DepthwiseConv2d is Conv2d with groups = channels: x[N,C,H,W] with
// w[C,1,K,K] plus b[C] (may be nil). The VJP is
// tensor.DepthwiseConv2dBackward.
func DepthwiseConv2d(x, w, b *Var, o tensor.ConvOpts) *Var {
	y := tensor.DepthwiseConv2d(x.Value, w.Value, varValue(b), o)
	out := NewOp(y, func(g *tensor.Tensor) {
		gx, gw, gb := tensor.DepthwiseConv2dBackward(x.Value, w.Value, g, o, needsGrad(x))
		if needsGrad(x) {
			x.accumOwned(gx)
		}
		if needsGrad(w) {
			w.accumOwned(gw)
		}
		if needsGrad(b) {
			b.accumOwned(gb)
		}
	}, x, w, b)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("DepthwiseConv", out, []*Var{x, w, b}, map[string]any{"opts": o})
	}
	return out
}
