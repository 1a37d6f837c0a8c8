package tensor

import "fmt"

// Concat joins 4-D tensors along the channel axis; N, H and W must agree.
func Concat(xs ...*Tensor) *Tensor {
	if len(xs) == 0 {
		panic("tensor.Concat: no tensors")
	}
	n, _, h, w := nchw("Concat", xs[0])
	ctot := 0
	for _, x := range xs {
		xn, xc, xh, xw := nchw("Concat", x)
		if xn != n || xh != h || xw != w {
			panic(fmt.Sprintf("tensor.Concat: shape %v does not match %v outside the channel axis", x.Shape, xs[0].Shape))
		}
		ctot += xc
	}
	hw := h * w
	y := New(n, ctot, h, w)
	for i := 0; i < n; i++ {
		off := i * ctot * hw
		for _, x := range xs {
			sz := x.Shape[1] * hw
			copy(y.Data[off:off+sz], x.Data[i*sz:(i+1)*sz])
			off += sz
		}
	}
	return y
}

// Split cuts a 4-D tensor along the channel axis into pieces of the given
// channel counts, which must add up to the channel count of x. It is the
// inverse (and adjoint) of Concat.
func Split(x *Tensor, sizes ...int) []*Tensor {
	n, c, h, w := nchw("Split", x)
	tot := 0
	for _, s := range sizes {
		if s < 0 {
			panic(fmt.Sprintf("tensor.Split: negative size in %v", sizes))
		}
		tot += s
	}
	if tot != c {
		panic(fmt.Sprintf("tensor.Split: sizes %v do not add up to the %d channels of %v", sizes, c, x.Shape))
	}
	hw := h * w
	out := make([]*Tensor, len(sizes))
	for k, s := range sizes {
		out[k] = New(n, s, h, w)
	}
	for i := 0; i < n; i++ {
		off := i * c * hw
		for k, s := range sizes {
			sz := s * hw
			copy(out[k].Data[i*sz:(i+1)*sz], x.Data[off:off+sz])
			off += sz
		}
	}
	return out
}
