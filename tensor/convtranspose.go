package tensor

import "fmt"

// newConvTransposeGeom checks x [N, Ci, H, W] against the PyTorch-layout
// weight w [Ci, Co, KH, KW] and returns the geometry of the convolution
// whose adjoint ConvTranspose2d is: that convolution maps the transposed
// output [Co, OH, OW] to [Ci, H, W] with the same weight, viewed as
// [Ci, Co·KH·KW].
func newConvTransposeGeom(op string, x, w *Tensor, o ConvOpts, outPad int) (int, convGeom) {
	n, ci, h, wd := nchw(op, x)
	if len(w.Shape) != 4 || w.Shape[0] != ci || w.Shape[2] < 1 || w.Shape[3] < 1 {
		panic(fmt.Sprintf("tensor.%s: weight %v does not fit input %v (want [%d, Co, KH, KW])", op, w.Shape, x.Shape, ci))
	}
	s, p, d := o.norm(op)
	if outPad < 0 || outPad >= max(s, d) {
		panic(fmt.Sprintf("tensor.%s: output padding %d must be in [0, max(stride %d, dilation %d))", op, outPad, s, d))
	}
	g := convGeom{ci: w.Shape[1], co: ci, oh: h, ow: wd, kh: w.Shape[2], kw: w.Shape[3], stride: s, pad: p, dil: d}
	g.h = (h-1)*s - 2*p + d*(g.kh-1) + outPad + 1
	g.w = (wd-1)*s - 2*p + d*(g.kw-1) + outPad + 1
	if g.h < 1 || g.w < 1 {
		panic(fmt.Sprintf("tensor.%s: padding %d leaves no output for input %v and weight %v", op, p, x.Shape, w.Shape))
	}
	return n, g
}

// ConvTranspose2d returns the transposed convolution (the adjoint of
// Conv2d, "deconvolution") of x [N, Ci, H, W] with the PyTorch-layout
// weight w [Ci, Co, KH, KW], plus bias b [Co] (or nil), as
// torch.nn.functional.conv_transpose2d with groups 1:
// OH = (H−1)·Stride − 2·Pad + Dilation·(KH−1) + outPad + 1.
//
// It is computed as yₙ = col2im(Wᵀ·xₙ) with W viewed as [Ci, Co·KH·KW],
// i.e. the input-gradient kernel of Conv2d.
func ConvTranspose2d(x, w, b *Tensor, o ConvOpts, outPad int) *Tensor {
	n, g := newConvTransposeGeom("ConvTranspose2d", x, w, o, outPad)
	y := FromData(convGradX(x.Data, n, w.Data, &g), n, g.ci, g.h, g.w)
	if b != nil {
		if len(b.Shape) != 1 || b.Shape[0] != g.ci {
			panic(fmt.Sprintf("tensor.ConvTranspose2d: bias %v does not fit weight %v", b.Shape, w.Shape))
		}
		hw := g.h * g.w
		ParallelFor(n*g.ci, func(s, e int) {
			for p := s; p < e; p++ {
				row := y.Data[p*hw : (p+1)*hw]
				addScalarSlice(row, row, b.Data[p%g.ci])
			}
		})
	}
	return y
}

// ConvTranspose2dBackward returns the gradients of
// ConvTranspose2d(x, w, b, o, outPad) given the output gradient gy
// [N, Co, OH, OW]. Being the adjoint of a convolution, its input gradient is
// that convolution, gx = Conv2d(gy, w), and its weight gradient is the
// convolution's weight gradient with the roles of input and output swapped:
// gw = Σₙ xₙ·im2col(gyₙ)ᵀ. gb sums gy over N, OH and OW.
func ConvTranspose2dBackward(x, w, gy *Tensor, o ConvOpts, outPad int, needGX bool) (gx, gw, gb *Tensor) {
	n, g := newConvTransposeGeom("ConvTranspose2dBackward", x, w, o, outPad)
	mustShape("ConvTranspose2dBackward", "output gradient", gy, n, g.ci, g.h, g.w)
	gw = FromData(convGradW(gy.Data, x.Data, n, &g), w.Shape...)
	if needGX {
		gx = FromData(convForward(gy.Data, n, w.Data, nil, &g), x.Shape...)
	}
	return gx, gw, SumChannel(gy)
}

// ConvTranspose2dGradInput returns only ∂/∂x of ConvTranspose2d (see
// Conv2dGradInput).
func ConvTranspose2dGradInput(x, w, gy *Tensor, o ConvOpts, outPad int) *Tensor {
	n, g := newConvTransposeGeom("ConvTranspose2dGradInput", x, w, o, outPad)
	mustShape("ConvTranspose2dGradInput", "output gradient", gy, n, g.ci, g.h, g.w)
	return FromData(convForward(gy.Data, n, w.Data, nil, &g), x.Shape...)
}
