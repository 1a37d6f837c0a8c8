package tensor

import (
	"fmt"
	"math"
)

// poolGeom checks pooling options and returns the output size
// ⌊(H + 2·pad − k)/stride⌋ + 1 (PyTorch's ceil_mode=false). A zero stride
// means stride = k, PyTorch's default. As in PyTorch, pad may be at most k/2
// so that every window overlaps the input.
func poolGeom(op string, x *Tensor, k, stride, pad int) (n, c, h, w, oh, ow, s int) {
	n, c, h, w = nchw(op, x)
	s = stride
	if s == 0 {
		s = k
	}
	if k < 1 || s < 1 || pad < 0 || 2*pad > k {
		panic(fmt.Sprintf("tensor.%s: invalid kernel %d, stride %d, pad %d (want k >= 1, stride >= 0, 0 <= pad <= k/2)", op, k, stride, pad))
	}
	oh, ow = convOutSize(h, k, s, pad, 1), convOutSize(w, k, s, pad, 1)
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("tensor.%s: kernel %d larger than padded input %v (pad %d)", op, k, x.Shape, pad))
	}
	return n, c, h, w, oh, ow, s
}

// MaxPool2d returns the k×k max pooling of x [N, C, H, W] (padding counts
// as −Inf) and, for every output element, the flat index into x.Data of the
// maximum, which MaxPool2dBackward routes the gradient to. Ties go to the
// first maximum in row-major window order and NaN wins, as in PyTorch.
func MaxPool2d(x *Tensor, k, stride, pad int) (y *Tensor, argmax []int32) {
	n, c, h, w, oh, ow, s := poolGeom("MaxPool2d", x, k, stride, pad)
	if len(x.Data) > math.MaxInt32 {
		panic(fmt.Sprintf("tensor.MaxPool2d: input %v too large for int32 indices", x.Shape))
	}
	y = New(n, c, oh, ow)
	argmax = make([]int32, len(y.Data))
	ParallelFor(n*c, func(st, e int) {
		for p := st; p < e; p++ {
			plane := x.Data[p*h*w : (p+1)*h*w]
			out, arg := y.Data[p*oh*ow:(p+1)*oh*ow], argmax[p*oh*ow:(p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*s - pad
				y1 := min(y0+k, h)
				y0 = max(y0, 0)
				for ox := 0; ox < ow; ox++ {
					x0 := ox*s - pad
					x1 := min(x0+k, w)
					x0 = max(x0, 0)
					best, bi := float32(math.Inf(-1)), y0*w+x0
					for iy := y0; iy < y1; iy++ {
						row := plane[iy*w : iy*w+x1]
						for ix := x0; ix < x1; ix++ {
							if v := row[ix]; v > best || v != v {
								best, bi = v, iy*w+ix
								if v != v {
									goto done
								}
							}
						}
					}
				done:
					out[oy*ow+ox] = best
					arg[oy*ow+ox] = int32(p*h*w + bi)
				}
			}
		}
	})
	return y, argmax
}

// MaxPool2dBackward returns the gradient with respect to the pooled input
// of shape xShape: each gy element is added at its argmax index.
func MaxPool2dBackward(gy *Tensor, argmax []int32, xShape []int) *Tensor {
	if len(argmax) != len(gy.Data) || len(xShape) != 4 || len(gy.Shape) != 4 ||
		gy.Shape[0] != xShape[0] || gy.Shape[1] != xShape[1] {
		panic(fmt.Sprintf("tensor.MaxPool2dBackward: gradient %v with %d indices does not fit input %v", gy.Shape, len(argmax), xShape))
	}
	gx := New(xShape...)
	planes := xShape[0] * xShape[1]
	hw := xShape[2] * xShape[3]
	ohw := gy.Shape[2] * gy.Shape[3]
	// Every index of a plane's outputs lies in the same input plane, so
	// planes can be processed in parallel without conflicting writes.
	ParallelFor(planes, func(s, e int) {
		for p := s; p < e; p++ {
			lo, hi := p*hw, (p+1)*hw
			for i, g := range gy.Data[p*ohw : (p+1)*ohw] {
				idx := int(argmax[p*ohw+i])
				if idx < lo || idx >= hi {
					panic(fmt.Sprintf("tensor.MaxPool2dBackward: index %d outside plane %d of input %v", idx, p, xShape))
				}
				gx.Data[idx] += g
			}
		}
	})
	return gx
}

// AvgPool2d returns the k×k average pooling of x [N, C, H, W], with padded
// zeros counted in the average (PyTorch's count_include_pad=True): every
// window sum is divided by k².
func AvgPool2d(x *Tensor, k, stride, pad int) *Tensor {
	n, c, h, w, oh, ow, s := poolGeom("AvgPool2d", x, k, stride, pad)
	y := New(n, c, oh, ow)
	inv := 1 / float32(k*k)
	ParallelFor(n*c, func(st, e int) {
		for p := st; p < e; p++ {
			plane := x.Data[p*h*w : (p+1)*h*w]
			out := y.Data[p*oh*ow : (p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0, y1 := max(oy*s-pad, 0), min(oy*s-pad+k, h)
				for ox := 0; ox < ow; ox++ {
					x0, x1 := max(ox*s-pad, 0), min(ox*s-pad+k, w)
					var sum float32
					for iy := y0; iy < y1; iy++ {
						for _, v := range plane[iy*w+x0 : iy*w+x1] {
							sum += v
						}
					}
					out[oy*ow+ox] = sum * inv
				}
			}
		}
	})
	return y
}

// AvgPool2dBackward returns the gradient of AvgPool2d with respect to its
// input of shape xShape: each gy element, divided by k², is spread over
// the in-bounds part of its window.
func AvgPool2dBackward(gy *Tensor, xShape []int, k, stride, pad int) *Tensor {
	if len(xShape) != 4 {
		panic(fmt.Sprintf("tensor.AvgPool2dBackward: input shape %v is not 4-D", xShape))
	}
	gx := New(xShape...)
	n, c, h, w, oh, ow, s := poolGeom("AvgPool2dBackward", gx, k, stride, pad)
	mustShape("AvgPool2dBackward", "output gradient", gy, n, c, oh, ow)
	inv := 1 / float32(k*k)
	ParallelFor(n*c, func(st, e int) {
		for p := st; p < e; p++ {
			plane := gx.Data[p*h*w : (p+1)*h*w]
			g := gy.Data[p*oh*ow : (p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0, y1 := max(oy*s-pad, 0), min(oy*s-pad+k, h)
				for ox := 0; ox < ow; ox++ {
					x0, x1 := max(ox*s-pad, 0), min(ox*s-pad+k, w)
					v := g[oy*ow+ox] * inv
					for iy := y0; iy < y1; iy++ {
						row := plane[iy*w+x0 : iy*w+x1]
						for i := range row {
							row[i] += v
						}
					}
				}
			}
		}
	})
	return gx
}

// adaptiveBin is PyTorch's adaptive pooling bin i of o over n inputs:
// [⌊i·n/o⌋, ⌈(i+1)·n/o⌉). Bins cover the input and may overlap.
func adaptiveBin(i, o, n int) (start, end int) {
	return i * n / o, ((i+1)*n + o - 1) / o
}

// AdaptiveAvgPool2d averages x [N, C, H, W] over an oh×ow grid of bins
// chosen by PyTorch's rule (see adaptiveBin), returning [N, C, oh, ow].
func AdaptiveAvgPool2d(x *Tensor, oh, ow int) *Tensor {
	n, c, h, w := nchw("AdaptiveAvgPool2d", x)
	if oh < 1 || ow < 1 || h < 1 || w < 1 {
		panic(fmt.Sprintf("tensor.AdaptiveAvgPool2d: cannot pool %v to %dx%d", x.Shape, oh, ow))
	}
	y := New(n, c, oh, ow)
	ParallelFor(n*c, func(st, e int) {
		for p := st; p < e; p++ {
			plane := x.Data[p*h*w : (p+1)*h*w]
			out := y.Data[p*oh*ow : (p+1)*oh*ow]
			if oh == 1 && ow == 1 { // global pooling (squeeze-excite): four accumulators
				out[0] = sumf(plane) / float32(h*w)
				continue
			}
			for oy := 0; oy < oh; oy++ {
				y0, y1 := adaptiveBin(oy, oh, h)
				for ox := 0; ox < ow; ox++ {
					x0, x1 := adaptiveBin(ox, ow, w)
					var sum float32
					for iy := y0; iy < y1; iy++ {
						for _, v := range plane[iy*w+x0 : iy*w+x1] {
							sum += v
						}
					}
					out[oy*ow+ox] = sum / float32((y1-y0)*(x1-x0))
				}
			}
		}
	})
	return y
}

// AdaptiveAvgPool2dBackward returns the gradient of AdaptiveAvgPool2d with
// respect to its input of shape xShape; the output size is read from gy.
func AdaptiveAvgPool2dBackward(gy *Tensor, xShape []int) *Tensor {
	if len(xShape) != 4 || len(gy.Shape) != 4 || gy.Shape[0] != xShape[0] || gy.Shape[1] != xShape[1] {
		panic(fmt.Sprintf("tensor.AdaptiveAvgPool2dBackward: gradient %v does not fit input %v", gy.Shape, xShape))
	}
	gx := New(xShape...)
	n, c, h, w := nchw("AdaptiveAvgPool2dBackward", gx)
	oh, ow := gy.Shape[2], gy.Shape[3]
	ParallelFor(n*c, func(st, e int) {
		for p := st; p < e; p++ {
			plane := gx.Data[p*h*w : (p+1)*h*w]
			g := gy.Data[p*oh*ow : (p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0, y1 := adaptiveBin(oy, oh, h)
				for ox := 0; ox < ow; ox++ {
					x0, x1 := adaptiveBin(ox, ow, w)
					v := g[oy*ow+ox] / float32((y1-y0)*(x1-x0))
					for iy := y0; iy < y1; iy++ {
						row := plane[iy*w+x0 : iy*w+x1]
						for i := range row {
							row[i] += v
						}
					}
				}
			}
		}
	})
	return gx
}
