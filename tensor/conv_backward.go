package tensor

import (
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// Conv2dBackward returns the gradients of Conv2d(x, w, b, o) given the
// output gradient gy [N, Co, OH, OW]:
//
//	gw = Σₙ gyₙ · im2col(xₙ)ᵀ      ([Co, Ci·KH·KW], viewed as w's shape)
//	gx = col2im(wᵀ · gyₙ)           (nil unless needGX)
//	gb = Σ over N, OH, OW of gy     ([Co])
//
// For stride-1 convolutions that narrow the channels (Co < Ci), gx is
// computed instead as the equivalent convolution of gy with the flipped,
// channel-transposed kernel, whose im2col matrix is smaller. gb is always
// returned; callers without a bias ignore it.
func Conv2dBackward(x, w, gy *Tensor, o ConvOpts, needGX bool) (gx, gw, gb *Tensor) {
	n, g := newConvGeom("Conv2dBackward", x, w, o)
	mustShape("Conv2dBackward", "output gradient", gy, n, g.co, g.oh, g.ow)
	gw = FromData(convGradW(x.Data, gy.Data, n, &g), w.Shape...)
	if needGX {
		gx = FromData(convGradX(gy.Data, n, w.Data, &g), x.Shape...)
	}
	return gx, gw, SumChannel(gy)
}

// Conv2dGradInput returns only ∂/∂x of Conv2d, for backward passes that
// treat the weights as constants (the joint stage's flow pass through a
// frozen classifier): the weight gradient, as costly as ∂/∂x, is skipped.
func Conv2dGradInput(x, w, gy *Tensor, o ConvOpts) *Tensor {
	n, g := newConvGeom("Conv2dGradInput", x, w, o)
	mustShape("Conv2dGradInput", "output gradient", gy, n, g.co, g.oh, g.ow)
	return FromData(convGradX(gy.Data, n, w.Data, &g), x.Shape...)
}

// mustShape panics unless t has exactly the given shape.
func mustShape(op, what string, t *Tensor, shape ...int) {
	if !ShapeEqual(t.Shape, shape) {
		panic(fmt.Sprintf("tensor.%s: %s has shape %v, want %v", op, what, t.Shape, shape))
	}
}

// gwTransposeMinCo is the output-channel count from which convGradW
// computes gwᵀ = im2col(x)·gyᵀ instead of gw = gy·im2col(x)ᵀ. Both products
// pack one operand transposed; this way it is gy (Co rows) rather than the
// im2col matrix (Ci·KH·KW rows), and the long side of the product is the
// M dimension, which GEMM micro-kernels tile with little waste. With few
// output channels (a classifier head) the Co-wide N dimension would leave
// most of each micro-tile empty, so the direct form is kept.
const gwTransposeMinCo = 32

// gradPartialLimit bounds (in floats, 16 MiB) the per-task partial sums
// reduceTasks keeps before adding them in order (the weight gradients of
// convGradW, im2col or Winograd).
var gradPartialLimit = 1 << 22 // a variable so tests can force the chunked path

// convGradW returns Σₙ gyₙ·im2col(xₙ)ᵀ as a [co, k] matrix. Parallel tasks
// write partial sums that are added in a fixed order at the end, so the
// result is the same on every run.
func convGradW(x, gy []float32, n int, g *convGeom) []float32 {
	k := g.k()
	ohw, inSz := g.oh*g.ow, g.ci*g.h*g.w
	if n == 0 || ohw == 0 || g.co*k == 0 {
		return make([]float32, g.co*k)
	}
	if useWinogradGradW(g) {
		return convGradWWinograd(x, gy, n, g)
	}
	kin := k // columns of the gradient matrix: Ci·KH·KW, or Ci when direct
	if g.direct() {
		kin = g.ci
	}
	trans := g.co >= gwTransposeMinCo
	nb := g.bands(n)
	tasks := n * nb
	// band adds one band's contribution to acc: gy·colsᵀ ([co, k]), or
	// cols·gyᵀ ([k, co]) when trans.
	band := func(t int, cols, acc []float32, mm gemmFunc) {
		img, b := t/nb, t%nb
		y0, y1 := g.band(b, nb)
		p0, p1 := y0*g.ow, y1*g.ow
		xi, gyi := x[img*inSz:(img+1)*inSz], gy[img*g.co*ohw:(img+1)*g.co*ohw]
		var src []float32 // the [kin, p1−p0] operand, leading dimension ld
		var ld int
		if g.direct() {
			src, ld = xi[p0:], g.h*g.w // output pixels are input pixels
		} else {
			cols = cols[:k*(p1-p0)]
			im2col(xi, cols, g, y0, y1)
			src, ld = cols, p1-p0
		}
		if trans {
			mm(false, true, kin, g.co, p1-p0, 1, src, ld, gyi[p0:], ohw, 1, acc, g.co)
		} else {
			mm(false, true, g.co, kin, p1-p0, 1, gyi[p0:], ohw, src, ld, 1, acc, kin)
		}
	}
	acc := reduceTasks(tasks, g.co*kin, g.colsLen(nb), band)
	if !trans {
		return acc
	}
	gw := make([]float32, len(acc))
	for r := 0; r < kin; r++ {
		for c, v := range acc[r*g.co : (r+1)*g.co] {
			gw[c*kin+r] = v
		}
	}
	return gw
}

// reduceTasks runs fn for tasks 0 … tasks−1, each adding its contribution
// to an accumulator of accLen floats (with scratchLen floats of scratch and
// the GEMM to use), and returns the sum. Parallel tasks write partial sums
// that are added in a fixed order at the end, so the result is the same on
// every run.
func reduceTasks(tasks, accLen, scratchLen int, fn func(t int, scratch, acc []float32, mm gemmFunc)) []float32 {
	acc := make([]float32, accLen)
	switch nw := workers(tasks); {
	case tasks < runtime.GOMAXPROCS(0) || nw == 1:
		buf := getScratch(scratchLen)
		for t := 0; t < tasks; t++ {
			fn(t, *buf, acc, gemm.Sgemm)
		}
		putScratch(buf)
	case tasks*accLen <= gradPartialLimit:
		// One partial sum per task, claimed dynamically by the workers
		// and summed in task order: load-balanced on a busy machine, yet
		// the rounding does not depend on the schedule.
		partial := make([]float32, tasks*accLen)
		var next atomic.Int64
		parallelChunks(nw, nw, func(_, _, _ int) {
			buf := getScratch(scratchLen)
			for t := int(next.Add(1)) - 1; t < tasks; t = int(next.Add(1)) - 1 {
				fn(t, *buf, partial[t*accLen:(t+1)*accLen], gemm.SgemmSerial)
			}
			putScratch(buf)
		})
		for t := 0; t < tasks; t++ {
			axpy(1, partial[t*accLen:(t+1)*accLen], acc)
		}
	default:
		// Many tasks (large images): one partial per fixed chunk of tasks.
		partial := make([][]float32, nw)
		parallelChunks(tasks, nw, func(idx, s, e int) {
			part := acc
			if idx > 0 {
				part = make([]float32, accLen)
			}
			buf := getScratch(scratchLen)
			for t := s; t < e; t++ {
				fn(t, *buf, part, gemm.SgemmSerial)
			}
			putScratch(buf)
			partial[idx] = part
		})
		for _, p := range partial[1:] {
			axpy(1, p, acc)
		}
	}
	return acc
}

// convGradX returns col2im(wᵀ·gyₙ) for every image: the input gradient of
// the convolution, and also the forward pass of the transposed convolution.
// Bands of one image overlap in the input rows they touch, so parallelism
// is over images (with the serial GEMM) or, with fewer images than cores,
// inside the GEMM.
func convGradX(gy []float32, n int, w []float32, g *convGeom) []float32 {
	if fg, ok := g.flipped(); ok {
		return convForward(gy, n, flipWeight(w, g), nil, &fg)
	}
	ohw, inSz, k := g.oh*g.ow, g.ci*g.h*g.w, g.k()
	gx := make([]float32, n*inSz)
	if len(gx) == 0 {
		return gx
	}
	nb := 1
	if !g.direct() {
		rows := max(1, colsLimit/max(1, k*g.ow))
		nb = min(g.oh, (g.oh+rows-1)/rows)
	}
	// With fewer images than cores the GEMM runs in parallel, and so does
	// col2im, split over input channels.
	parallelCols := n < runtime.GOMAXPROCS(0)
	image := func(img int, cols []float32, mm gemmFunc) {
		gyi, gxi := gy[img*g.co*ohw:(img+1)*g.co*ohw], gx[img*inSz:(img+1)*inSz]
		if g.direct() {
			mm(true, false, g.ci, ohw, g.co, 1, w, g.ci, gyi, ohw, 0, gxi, ohw)
			return
		}
		for b := 0; b < nb; b++ {
			y0, y1 := g.band(b, nb)
			p0, p1 := y0*g.ow, y1*g.ow
			c := cols[:k*(p1-p0)]
			mm(true, false, k, p1-p0, g.co, 1, w, k, gyi[p0:], ohw, 0, c, p1-p0)
			if parallelCols {
				ParallelFor(g.ci, func(c0, c1 int) { col2im(c, gxi, g, y0, y1, c0, c1) })
			} else {
				col2im(c, gxi, g, y0, y1, 0, g.ci)
			}
		}
	}
	forTasks(n, g.colsLen(nb), image)
	return gx
}

// flipped returns the geometry of the convolution that computes this
// stride-1 convolution's input gradient directly: gx = conv(gy, w′) with
// w′[c, o, ky, kx] = w[o, c, KH−1−ky, KW−1−kx] and padding d(K−1) − p.
// It is used when it is cheaper than col2im(wᵀ·gy): when the convolution
// narrows the channels (co < ci), as its im2col matrix has co·KH·KW rows
// instead of ci·KH·KW, and whenever the flipped convolution runs as
// Winograd, which needs fewer multiply-adds than any GEMM form (segnet-ref's
// 64→64 at 32×32, batch 8: 2.0 vs 3.6 ms).
func (g *convGeom) flipped() (convGeom, bool) {
	if g.stride != 1 || g.kh != g.kw || g.direct() || g.pad > g.dil*(g.kh-1) {
		return convGeom{}, false
	}
	f := convGeom{ci: g.co, h: g.oh, w: g.ow, co: g.ci, kh: g.kh, kw: g.kw, stride: 1, pad: g.dil*(g.kh-1) - g.pad, dil: g.dil}
	f.oh = convOutSize(f.h, f.kh, 1, f.pad, f.dil)
	f.ow = convOutSize(f.w, f.kw, 1, f.pad, f.dil)
	// A transposed convolution with output padding has rows that no input
	// reaches; they are not part of this convolution's image.
	if f.oh != g.h || f.ow != g.w || (g.co >= g.ci && !useWinograd(&f)) {
		return convGeom{}, false
	}
	return f, true
}

// flipWeight returns w′ of flipped: w [co, ci, kh, kw] with the channel
// axes swapped and the kernel rotated by 180°.
func flipWeight(w []float32, g *convGeom) []float32 {
	kk := g.kh * g.kw
	out := make([]float32, len(w))
	for o := 0; o < g.co; o++ {
		for c := 0; c < g.ci; c++ {
			src := w[(o*g.ci+c)*kk : (o*g.ci+c+1)*kk]
			dst := out[(c*g.co+o)*kk : (c*g.co+o+1)*kk]
			for i, v := range src {
				dst[kk-1-i] = v
			}
		}
	}
	return out
}
