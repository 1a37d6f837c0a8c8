package tensor

import "fmt"

// Squeeze2d is space-to-depth with factor f (PyTorch's pixel_unshuffle):
// [N, C, H, W] → [N, C·f², H/f, W/f] with
//
//	y[n, c·f²+i·f+j, h, w] = x[n, c, h·f+i, w·f+j],  0 <= i, j < f.
//
// H and W must be multiples of f. It is the invertible "squeeze" step of
// Glow/RealNVP-style normalizing flows.
func Squeeze2d(x *Tensor, f int) *Tensor {
	n, c, h, w := nchw("Squeeze2d", x)
	if f < 1 || h%f != 0 || w%f != 0 {
		panic(fmt.Sprintf("tensor.Squeeze2d: factor %d does not divide the spatial size of %v", f, x.Shape))
	}
	oh, ow := h/f, w/f
	y := New(n, c*f*f, oh, ow)
	ParallelFor(n*c, func(s, e int) {
		for p := s; p < e; p++ {
			src := x.Data[p*h*w : (p+1)*h*w]
			dst := y.Data[p*h*w : (p+1)*h*w] // the f² output planes of channel p are contiguous
			for i := 0; i < f; i++ {
				for j := 0; j < f; j++ {
					plane := dst[(i*f+j)*oh*ow : (i*f+j+1)*oh*ow]
					for r := 0; r < oh; r++ {
						srow := src[(r*f+i)*w:]
						drow := plane[r*ow : (r+1)*ow]
						for q := range drow {
							drow[q] = srow[q*f+j]
						}
					}
				}
			}
		}
	})
	return y
}

// Unsqueeze2d is depth-to-space (PyTorch's pixel_shuffle), the exact
// inverse of Squeeze2d: [N, C·f², H, W] → [N, C, H·f, W·f].
func Unsqueeze2d(x *Tensor, f int) *Tensor {
	n, cf, h, w := nchw("Unsqueeze2d", x)
	if f < 1 || cf%(f*f) != 0 {
		panic(fmt.Sprintf("tensor.Unsqueeze2d: factor %d: channels of %v are not a multiple of %d", f, x.Shape, f*f))
	}
	c := cf / (f * f)
	oh, ow := h*f, w*f
	y := New(n, c, oh, ow)
	ParallelFor(n*c, func(s, e int) {
		for p := s; p < e; p++ {
			src := x.Data[p*oh*ow : (p+1)*oh*ow]
			dst := y.Data[p*oh*ow : (p+1)*oh*ow]
			for i := 0; i < f; i++ {
				for j := 0; j < f; j++ {
					plane := src[(i*f+j)*h*w : (i*f+j+1)*h*w]
					for r := 0; r < h; r++ {
						srow := plane[r*w : (r+1)*w]
						drow := dst[(r*f+i)*ow:]
						for q, v := range srow {
							drow[q*f+j] = v
						}
					}
				}
			}
		}
	})
	return y
}
