package tensor

import "fmt"

// Pad2d returns x [N, C, H, W] padded with value: top and bottom rows, left
// and right columns (all >= 0). Its adjoint is Crop2d(y, top, left, H, W).
func Pad2d(x *Tensor, top, bottom, left, right int, value float32) *Tensor {
	n, c, h, w := nchw("Pad2d", x)
	if top < 0 || bottom < 0 || left < 0 || right < 0 {
		panic(fmt.Sprintf("tensor.Pad2d: negative padding (%d, %d, %d, %d) for %v", top, bottom, left, right, x.Shape))
	}
	oh, ow := h+top+bottom, w+left+right
	y := New(n, c, oh, ow)
	if value != 0 {
		fillf(y.Data, value)
	}
	ParallelFor(n*c, func(s, e int) {
		for p := s; p < e; p++ {
			src := x.Data[p*h*w:]
			dst := y.Data[p*oh*ow:]
			for r := 0; r < h; r++ {
				copy(dst[(r+top)*ow+left:(r+top)*ow+left+w], src[r*w:(r+1)*w])
			}
		}
	})
	return y
}

// Crop2d returns the h×w window of x [N, C, H, W] whose top-left corner is
// (top, left); the window must lie inside x. Its adjoint is Pad2d with zeros.
func Crop2d(x *Tensor, top, left, h, w int) *Tensor {
	n, c, ih, iw := nchw("Crop2d", x)
	if top < 0 || left < 0 || h < 0 || w < 0 || top+h > ih || left+w > iw {
		panic(fmt.Sprintf("tensor.Crop2d: window %dx%d at (%d, %d) outside %v", h, w, top, left, x.Shape))
	}
	y := New(n, c, h, w)
	ParallelFor(n*c, func(s, e int) {
		for p := s; p < e; p++ {
			src := x.Data[p*ih*iw:]
			dst := y.Data[p*h*w:]
			for r := 0; r < h; r++ {
				copy(dst[r*w:(r+1)*w], src[(r+top)*iw+left:])
			}
		}
	})
	return y
}
