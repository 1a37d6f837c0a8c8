package autograd

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
)

// Hardswish is x·min(max(x+3, 0), 6)/6 (MobileNetV3), computed as
// PyTorch does; ∂/∂x = 0 below −3, x/3 + ½ on [−3, 3], 1 above (PyTorch's
// hardswish_backward, boundaries included).
func Hardswish(x *Var) *Var {
	y := tensor.Hardswish(x.Value)
	out := NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(zip2(g, x.Value, func(d, g, x []float32) {
			for i, v := range x {
				switch {
				case v < -3:
					d[i] = 0
				case v <= 3:
					d[i] = g[i] * (v/3 + 0.5)
				default:
					d[i] = g[i]
				}
			}
		}))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("HardSwish", out, []*Var{x}, nil)
	}
	return out
}

// Hardsigmoid is min(max(x+3, 0), 6)/6; ∂/∂x = 1/6 on (−3, 3), else 0.
func Hardsigmoid(x *Var) *Var {
	y := tensor.New(x.Value.Shape...)
	for i, v := range x.Value.Data {
		y.Data[i] = min(max(v+3, 0), 6) / 6
	}
	out := NewOp(y, func(g *tensor.Tensor) {
		x.accumOwned(zip2(g, x.Value, func(d, g, x []float32) {
			for i, v := range x {
				if v > -3 && v < 3 {
					d[i] = g[i] / 6
				} else {
					d[i] = 0
				}
			}
		}))
	}, x)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("HardSigmoid", out, []*Var{x}, nil)
	}
	return out
}

// ScaleChannels multiplies x[N,C,H,W] by s[N,C,1,1] (one factor per
// sample and channel: squeeze-and-excitation); ∂/∂x = g·s,
// ∂/∂s = Σ_{h,w} g·x.
func ScaleChannels(x, s *Var) *Var {
	n, c, h, w := x.Value.NCHW()
	if s.Value.Dims() != 4 || s.Value.Shape[0] != n || s.Value.Shape[1] != c || s.Value.Shape[2] != 1 || s.Value.Shape[3] != 1 {
		panic(fmt.Sprintf("autograd.ScaleChannels: scale %v for input %v (want [N,C,1,1])", s.Value.Shape, x.Value.Shape))
	}
	hw := h * w
	y := tensor.New(x.Value.Shape...)
	tensor.ScaleChannelsInto(y, x.Value, s.Value.Data)
	out := NewOp(y, func(g *tensor.Tensor) {
		if needsGrad(x) {
			gx := tensor.New(x.Value.Shape...)
			for nc := 0; nc < n*c; nc++ {
				f := s.Value.Data[nc]
				for i, v := range g.Data[nc*hw : (nc+1)*hw] {
					gx.Data[nc*hw+i] = v * f
				}
			}
			x.accumOwned(gx)
		}
		if needsGrad(s) {
			gs := tensor.New(s.Value.Shape...)
			for nc := 0; nc < n*c; nc++ {
				var acc float32
				xs := x.Value.Data[nc*hw : (nc+1)*hw]
				for i, v := range g.Data[nc*hw : (nc+1)*hw] {
					acc += v * xs[i]
				}
				gs.Data[nc] = acc
			}
			s.accumOwned(gs)
		}
	}, x, s)
	if tracer != nil { // built only when tracing: ops are on the training hot path
		tracer.Op("ScaleChannels", out, []*Var{x, s}, nil)
	}
	return out
}
