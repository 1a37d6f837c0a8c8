package tensor

import "fmt"

// linearTaps holds, for each output coordinate along one axis, the two
// input coordinates it interpolates and their weights.
type linearTaps struct {
	i0, i1 []int
	l0, l1 []float32
}

// bilinearTaps computes PyTorch's align_corners=False source coordinates
// for out outputs over in inputs: with scale = in/out,
// src = max((dst + ½)·scale − ½, 0), i0 = min(⌊src⌋, in−1),
// i1 = min(i0+1, in−1), λ = clamp(src − i0, 0, 1); weights 1−λ and λ.
// The arithmetic is float32, as in PyTorch's CPU kernel.
func bilinearTaps(in, out int) linearTaps {
	t := linearTaps{make([]int, out), make([]int, out), make([]float32, out), make([]float32, out)}
	scale := float32(in) / float32(out)
	for d := 0; d < out; d++ {
		src := scale*(float32(d)+0.5) - 0.5
		if src < 0 {
			src = 0
		}
		i0 := min(int(src), in-1)
		lam := min(max(src-float32(i0), 0), 1)
		t.i0[d], t.l0[d], t.l1[d] = i0, 1-lam, lam
		t.i1[d] = i0
		if i0 < in-1 {
			t.i1[d] = i0 + 1
		}
	}
	return t
}

// ResizeBilinear resizes x [N, C, H, W] to [N, C, oh, ow] by bilinear
// interpolation with the semantics of PyTorch's
// F.interpolate(mode="bilinear", align_corners=False, size=(oh, ow)),
// for upsampling and downsampling at any ratio (no antialiasing).
//
// Each output pixel is a0·(b0·x[i0,j0] + b1·x[i0,j1]) + a1·(b0·x[i1,j0] +
// b1·x[i1,j1]), the same expression and order as PyTorch. The bracketed
// horizontal interpolations depend only on the input row, so they are
// computed once per input row and cached (upsampling reuses each row for
// several output rows).
func ResizeBilinear(x *Tensor, oh, ow int) *Tensor {
	return resize("ResizeBilinear", x, oh, ow, bilinearTaps)
}

// alignedTaps computes PyTorch's align_corners=True source coordinates:
// src = dst·(in−1)/(out−1) (0 for a single output), in float32.
func alignedTaps(in, out int) linearTaps {
	t := linearTaps{make([]int, out), make([]int, out), make([]float32, out), make([]float32, out)}
	var scale float32
	if out > 1 {
		scale = float32(in-1) / float32(out-1)
	}
	for d := 0; d < out; d++ {
		src := scale * float32(d)
		i0 := min(int(src), in-1)
		lam := min(max(src-float32(i0), 0), 1)
		t.i0[d], t.l0[d], t.l1[d] = i0, 1-lam, lam
		t.i1[d] = min(i0+1, in-1)
	}
	return t
}

// ResizeBilinearAligned is ResizeBilinear with align_corners=True (the
// corner pixels of input and output coincide), what NVIDIA's
// semantic-segmentation networks (DeepWV3Plus) upsample with.
func ResizeBilinearAligned(x *Tensor, oh, ow int) *Tensor {
	return resize("ResizeBilinearAligned", x, oh, ow, alignedTaps)
}

func resize(op string, x *Tensor, oh, ow int, taps func(in, out int) linearTaps) *Tensor {
	n, c, h, w := nchw(op, x)
	if oh < 1 || ow < 1 || h < 1 || w < 1 {
		panic(fmt.Sprintf("tensor.%s: cannot resize %v to %dx%d", op, x.Shape, oh, ow))
	}
	ty, tx := taps(h, oh), taps(w, ow)
	y := NewUninit(n, c, oh, ow) // every row is written (scaleSlice, then axpy)
	parallelGrain(n*c, max(1, elemGrain/(oh*ow)), func(s, e int) {
		buf := getScratch(2 * ow)
		defer putScratch(buf)
		var rows rowCache
		rows.init((*buf)[:2*ow], ow)
		for p := s; p < e; p++ {
			plane := x.Data[p*h*w : (p+1)*h*w]
			out := y.Data[p*oh*ow : (p+1)*oh*ow]
			rows.reset()
			for oy := 0; oy < oh; oy++ {
				i0, i1 := ty.i0[oy], ty.i1[oy]
				h0 := rows.get(i0, i1, plane[i0*w:(i0+1)*w], &tx)
				h1 := rows.get(i1, i0, plane[i1*w:(i1+1)*w], &tx)
				// dst = a0·h0 + a1·h1, as two vector passes.
				dst := out[oy*ow : (oy+1)*ow]
				scaleSlice(dst, h0, ty.l0[oy])
				axpy(ty.l1[oy], h1, dst)
			}
		}
	})
	return y
}

// rowCache holds the horizontal interpolations of the two most recently
// used input rows.
type rowCache struct {
	key [2]int
	buf [2][]float32
}

func (rc *rowCache) init(buf []float32, ow int) {
	rc.buf[0], rc.buf[1] = buf[:ow], buf[ow:2*ow]
	rc.reset()
}

func (rc *rowCache) reset() { rc.key = [2]int{-1, -1} }

// get returns the horizontal interpolation of input row i (whose data is
// src), computing it into the slot not holding row keep if needed.
func (rc *rowCache) get(i, keep int, src []float32, tx *linearTaps) []float32 {
	switch i {
	case rc.key[0]:
		return rc.buf[0]
	case rc.key[1]:
		return rc.buf[1]
	}
	slot := 0
	if rc.key[0] == keep {
		slot = 1
	}
	rc.key[slot] = i
	dst := rc.buf[slot]
	j0, j1, b0, b1 := tx.i0[:len(dst)], tx.i1[:len(dst)], tx.l0[:len(dst)], tx.l1[:len(dst)]
	for ox := range dst {
		dst[ox] = b0[ox]*src[j0[ox]] + b1[ox]*src[j1[ox]]
	}
	return dst
}

// ResizeBilinearBackward returns the gradient of ResizeBilinear with
// respect to its input of spatial size ih×iw. It runs the forward's two
// separable steps in reverse: every output row's gradient is added, with
// the vertical weights, to the width-ow gradient rows of its two source rows
// (vector axpy), then each of those rows is scattered horizontally into the
// input row with the horizontal weights.
func ResizeBilinearBackward(gy *Tensor, ih, iw int) *Tensor {
	return resizeBackward("ResizeBilinearBackward", gy, ih, iw, bilinearTaps)
}

// ResizeBilinearAlignedBackward is the gradient of ResizeBilinearAligned.
func ResizeBilinearAlignedBackward(gy *Tensor, ih, iw int) *Tensor {
	return resizeBackward("ResizeBilinearAlignedBackward", gy, ih, iw, alignedTaps)
}

func resizeBackward(op string, gy *Tensor, ih, iw int, taps func(in, out int) linearTaps) *Tensor {
	n, c, oh, ow := nchw(op, gy)
	if ih < 1 || iw < 1 {
		panic(fmt.Sprintf("tensor.%s: invalid input size %dx%d for gradient %v", op, ih, iw, gy.Shape))
	}
	ty, tx := taps(ih, oh), taps(iw, ow)
	gx := New(n, c, ih, iw)
	parallelGrain(n*c, max(1, elemGrain/max(1, oh*ow)), func(s, e int) {
		buf := getScratch(ih * ow)
		defer putScratch(buf)
		hg := *buf
		for p := s; p < e; p++ {
			plane := gx.Data[p*ih*iw : (p+1)*ih*iw]
			g := gy.Data[p*oh*ow : (p+1)*oh*ow]
			clear(hg)
			for oy := 0; oy < oh; oy++ {
				row := g[oy*ow : (oy+1)*ow]
				axpy(ty.l0[oy], row, hg[ty.i0[oy]*ow:])
				axpy(ty.l1[oy], row, hg[ty.i1[oy]*ow:])
			}
			for i := 0; i < ih; i++ {
				src := hg[i*ow : (i+1)*ow]
				dst := plane[i*iw : (i+1)*iw]
				j0, j1, b0, b1 := tx.i0[:len(src)], tx.i1[:len(src)], tx.l0[:len(src)], tx.l1[:len(src)]
				for ox, v := range src {
					dst[j0[ox]] += b0[ox] * v
					dst[j1[ox]] += b1[ox] * v
				}
			}
		}
	})
	return gx
}
