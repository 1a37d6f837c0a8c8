package tensor

import "fmt"

// depthwiseGeom checks x[N,C,H,W] against w[C,1,K,K] (and b[C]) and
// returns the output size.
func depthwiseGeom(op string, x, w *Tensor, o ConvOpts) (n, c, h, wd, k, oh, ow, s, p, d int) {
	s, p, d = o.norm(op)
	if x.Dims() != 4 || w.Dims() != 4 || w.Shape[1] != 1 || w.Shape[2] != w.Shape[3] || w.Shape[0] != x.Shape[1] {
		panic(fmt.Sprintf("tensor.%s: input %v and weight %v (want [C,1,K,K] with C = input channels)", op, x.Shape, w.Shape))
	}
	n, c, h, wd = x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	k = w.Shape[2]
	span := d*(k-1) + 1
	if h+2*p < span || wd+2*p < span {
		panic(fmt.Sprintf("tensor.%s: kernel %d (dilation %d) larger than padded input %v (pad %d)", op, k, d, x.Shape, p))
	}
	oh, ow = (h+2*p-span)/s+1, (wd+2*p-span)/s+1
	return
}

// DepthwiseConv2d is torch.nn.functional.conv2d with groups = C: every
// channel of x[N,C,H,W] is cross-correlated with its own K×K filter
// w[C,1,K,K], plus b[C] (b may be nil). MobileNets' 3×3 and 5×5
// depthwise layers use it. The sum over the kernel runs in row-major
// kernel order, in float32.
func DepthwiseConv2d(x, w, b *Tensor, o ConvOpts) *Tensor {
	return DepthwiseConv2dAct(x, w, b, o, ActNone)
}

// DepthwiseConv2dAct is DepthwiseConv2d followed by act, applied to every
// output row as it is produced.
func DepthwiseConv2dAct(x, w, b *Tensor, o ConvOpts, act Act) *Tensor {
	n, c, h, wd, k, oh, ow, s, p, d := depthwiseGeom("DepthwiseConv2d", x, w, o)
	if b != nil && len(b.Data) != c {
		panic(fmt.Sprintf("tensor.DepthwiseConv2d: bias %v for %d channels", b.Shape, c))
	}
	y := NewUninit(n, c, oh, ow) // every row is written
	g := dwGeom{h: h, w: wd, k: k, oh: oh, ow: ow, s: s, p: p, d: d}
	ParallelFor(n*c, func(start, end int) {
		var sc dwScratch
		for nc := start; nc < end; nc++ {
			ch := nc % c
			var bias float32
			if b != nil {
				bias = b.Data[ch]
			}
			g.plane(y.Data[nc*oh*ow:(nc+1)*oh*ow], x.Data[nc*h*wd:(nc+1)*h*wd], w.Data[ch*k*k:(ch+1)*k*k], bias, act, &sc)
		}
	})
	return y
}

// DepthwiseConv2dBackward returns the gradients of DepthwiseConv2d with
// respect to x (nil unless needX), w and b for the output gradient gy.
func DepthwiseConv2dBackward(x, w, gy *Tensor, o ConvOpts, needX bool) (gx, gw, gb *Tensor) {
	n, c, h, wd, k, oh, ow, s, p, d := depthwiseGeom("DepthwiseConv2dBackward", x, w, o)
	if gy.Dims() != 4 || gy.Shape[0] != n || gy.Shape[1] != c || gy.Shape[2] != oh || gy.Shape[3] != ow {
		panic(fmt.Sprintf("tensor.DepthwiseConv2dBackward: gradient %v for output [%d %d %d %d]", gy.Shape, n, c, oh, ow))
	}
	if needX {
		gx = New(x.Shape...)
	}
	gw, gb = New(w.Shape...), New(c)
	// Parallel over channels: each owns its gw, gb and gx slices.
	ParallelFor(c, func(start, end int) {
		for ch := start; ch < end; ch++ {
			ker := w.Data[ch*k*k : (ch+1)*k*k]
			gker := gw.Data[ch*k*k : (ch+1)*k*k]
			for b := 0; b < n; b++ {
				nc := b*c + ch
				src := x.Data[nc*h*wd : (nc+1)*h*wd]
				g := gy.Data[nc*oh*ow : (nc+1)*oh*ow]
				var gsrc []float32
				if needX {
					gsrc = gx.Data[nc*h*wd : (nc+1)*h*wd]
				}
				for i := 0; i < oh; i++ {
					for j := 0; j < ow; j++ {
						gv := g[i*ow+j]
						gb.Data[ch] += gv
						for ki := 0; ki < k; ki++ {
							yy := i*s - p + ki*d
							if yy < 0 || yy >= h {
								continue
							}
							for kj := 0; kj < k; kj++ {
								xx := j*s - p + kj*d
								if xx < 0 || xx >= wd {
									continue
								}
								gker[ki*k+kj] += gv * src[yy*wd+xx]
								if needX {
									gsrc[yy*wd+xx] += gv * ker[ki*k+kj]
								}
							}
						}
					}
				}
			}
		}
	})
	return gx, gw, gb
}
