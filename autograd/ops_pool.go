package autograd

import (
	"github.com/nflowjs/nflowjs/tensor"
)

// MaxPool2d takes the maximum over k×k windows of x[N,C,H,W] with the
// given stride (0 means k, PyTorch's default) and padding (padded cells
// never win), as PyTorch's max_pool2d. The VJP routes each output gradient
// to the input element that won its window (recorded by the forward
// kernel); on ties PyTorch and tensor.MaxPool2d both pick the first
// maximum in scan order.
func MaxPool2d(x *Var, k, stride, pad int) *Var {
	y, argmax := tensor.MaxPool2d(x.Value, k, stride, pad)
	out := NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(tensor.MaxPool2dBackward(g, argmax, x.Value.Shape))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("MaxPool", out, []*Var{x}, map[string]any{"k": k, "stride": stride, "pad": pad})
	}
	return out
}

// AvgPool2d averages k×k windows of x[N,C,H,W] (stride 0 means k),
// counting padded zeros (PyTorch's default count_include_pad=True); each
// output gradient is spread evenly, g/k², over its window.
func AvgPool2d(x *Var, k, stride, pad int) *Var {
	out := NewOp(tensor.AvgPool2d(x.Value, k, stride, pad), func(g *tensor.Tensor) {
		x.accumOwned(tensor.AvgPool2dBackward(g, x.Value.Shape, k, stride, pad))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("AveragePool", out, []*Var{x}, map[string]any{"k": k, "stride": stride, "pad": pad})
	}
	return out
}

// AdaptiveAvgPool2d averages x[N,C,H,W] into an oh×ow grid with PyTorch's
// bins: output cell i covers rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉−1 (likewise for
// columns). The VJP spreads each gradient evenly over its bin.
func AdaptiveAvgPool2d(x *Var, oh, ow int) *Var {
	out := NewOp(tensor.AdaptiveAvgPool2d(x.Value, oh, ow), func(g *tensor.Tensor) {
		x.accumOwned(tensor.AdaptiveAvgPool2dBackward(g, x.Value.Shape))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("AdaptiveAvgPool", out, []*Var{x}, map[string]any{"oh": oh, "ow": ow})
	}
	return out
}

// ResizeBilinear resamples x[N,C,H,W] to oh×ow with bilinear interpolation,
// align_corners=False (PyTorch's F.interpolate(mode="bilinear")). The
// output is linear in x; the VJP scatters each output gradient back to its
// four source pixels with the same weights.
func ResizeBilinear(x *Var, oh, ow int) *Var { return resize(x, oh, ow, false) }

// ResizeBilinearAligned is ResizeBilinear with align_corners=True; the
// VJP is tensor.ResizeBilinearAlignedBackward.
func ResizeBilinearAligned(x *Var, oh, ow int) *Var { return resize(x, oh, ow, true) }

func resize(x *Var, oh, ow int, aligned bool) *Var {
	_, _, ih, iw := x.Value.NCHW()
	fwd, back := tensor.ResizeBilinear, tensor.ResizeBilinearBackward
	if aligned {
		fwd, back = tensor.ResizeBilinearAligned, tensor.ResizeBilinearAlignedBackward
	}
	out := NewOp(fwd(x.Value, oh, ow), func(g *tensor.Tensor) {
		x.accumOwned(back(g, ih, iw))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("Resize", out, []*Var{x}, map[string]any{"oh": oh, "ow": ow, "aligned": aligned})
	}
	return out
}
