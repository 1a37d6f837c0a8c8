package tensor

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// ConvOpts are the hyperparameters of a square 2-D convolution, with
// PyTorch's meaning. A zero Stride or Dilation means 1; Pad is the number of
// zero rows/columns added on every side. Groups are always 1.
type ConvOpts struct{ Stride, Pad, Dilation int }

func (o ConvOpts) norm(op string) (stride, pad, dil int) {
	stride, pad, dil = o.Stride, o.Pad, o.Dilation
	if stride == 0 {
		stride = 1
	}
	if dil == 0 {
		dil = 1
	}
	if stride < 0 || pad < 0 || dil < 0 {
		panic(fmt.Sprintf("tensor.%s: negative option in %+v", op, o))
	}
	return stride, pad, dil
}

// convOutSize is PyTorch's output size ⌊(in + 2p − d(k−1) − 1)/s⌋ + 1, or −1
// when the dilated kernel does not fit in the padded input.
func convOutSize(in, k, stride, pad, dil int) int {
	num := in + 2*pad - dil*(k-1) - 1
	if num < 0 {
		return -1
	}
	return num/stride + 1
}

// convGeom describes one convolution y = conv(x, w) per image: x is
// [ci, h, w], y is [co, oh, ow] and the weight is the row-major matrix
// [co, ci·kh·kw]. Transposed convolution reuses it with the roles of its
// input and output swapped (its input is this geometry's y).
type convGeom struct {
	ci, h, w                 int
	co, oh, ow               int
	kh, kw, stride, pad, dil int
}

// k is the inner GEMM dimension, the length of one im2col column.
func (g *convGeom) k() int { return g.ci * g.kh * g.kw }

// direct reports whether the convolution is a plain matrix product on the
// NCHW image (1×1 kernel, stride 1, no padding), which needs no im2col.
func (g *convGeom) direct() bool {
	return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0
}

// colsLimit bounds the im2col scratch of one worker (in floats, 4 MiB):
// large images are processed in bands of output rows instead of
// materializing K·OH·OW floats. Bands much smaller than this cost more in
// repacking the weights for every GEMM call than they gain in cache
// locality (measured on the segnet-ref layers: 1 MiB bands were ~3 % slower).
const colsLimit = 1 << 20

// bands returns how many bands of output rows each image is cut into for n
// images: enough that one band's im2col scratch fits colsLimit, and, when
// there are too few images to give every core an equal share, enough tasks
// that the imbalance stays under 25 %.
func (g *convGeom) bands(n int) int {
	if g.oh == 0 {
		return 1
	}
	nb := 1
	if !g.direct() {
		rows := max(1, colsLimit/max(1, g.k()*g.ow))
		nb = (g.oh + rows - 1) / rows
	}
	return balancedBands(nb, n, g.oh)
}

// balancedBands returns nb bands per image, raised where the n·nb tasks
// are few and would not split evenly over the cores (so that no core waits
// for the last image), and at most rows (the image's rows of outputs or of
// tiles).
func balancedBands(nb, n, rows int) int {
	procs := runtime.GOMAXPROCS(0)
	if procs > 1 && (n*nb)%procs != 0 && n*nb < 4*procs {
		nb = max(nb, (4*procs+n-1)/n)
	}
	return min(nb, rows)
}

// band returns the output rows [y0, y1) of band b out of nb.
func (g *convGeom) band(b, nb int) (y0, y1 int) { return b * g.oh / nb, (b + 1) * g.oh / nb }

// newConvGeom checks x [N, Ci, H, W] against w [Co, Ci, KH, KW] and returns
// the geometry of Conv2d(x, w).
func newConvGeom(op string, x, w *Tensor, o ConvOpts) (int, convGeom) {
	n, ci, h, wd := nchw(op, x)
	if len(w.Shape) != 4 || w.Shape[1] != ci || w.Shape[2] < 1 || w.Shape[3] < 1 {
		panic(fmt.Sprintf("tensor.%s: weight %v does not fit input %v (want [Co, %d, KH, KW])", op, w.Shape, x.Shape, ci))
	}
	s, p, d := o.norm(op)
	g := convGeom{ci: ci, h: h, w: wd, co: w.Shape[0], kh: w.Shape[2], kw: w.Shape[3], stride: s, pad: p, dil: d}
	g.oh = convOutSize(h, g.kh, s, p, d)
	g.ow = convOutSize(wd, g.kw, s, p, d)
	if g.oh < 1 || g.ow < 1 {
		panic(fmt.Sprintf("tensor.%s: kernel %dx%d (dilation %d) larger than padded input %v (pad %d)", op, g.kh, g.kw, d, x.Shape, p))
	}
	return n, g
}

// Conv2d returns the 2-D cross-correlation of x [N, Ci, H, W] with
// w [Co, Ci, KH, KW] plus the bias b [Co] (b may be nil), exactly as
// torch.nn.functional.conv2d: output [N, Co, OH, OW] with
// OH = ⌊(H + 2·Pad − Dilation·(KH−1) − 1)/Stride⌋ + 1.
//
// It is computed as a matrix product per image, y = W·im2col(x) with
// W viewed as [Co, Ci·KH·KW]; a 1×1 stride-1 unpadded kernel multiplies the
// image directly.
func Conv2d(x, w, b *Tensor, o ConvOpts) *Tensor { return Conv2dAct(x, w, b, o, ActNone) }

// Conv2dAct is Conv2d followed by act. On the matrix-product path (1×1
// convolutions, the MobileNets' most common layer) the bias and act are
// applied to each band of output rows right after its product, while it
// is in cache, instead of filling the output with the bias first and
// passing over it again for act; elsewhere act follows the convolution.
func Conv2dAct(x, w, b *Tensor, o ConvOpts, act Act) *Tensor {
	n, g := newConvGeom("Conv2d", x, w, o)
	var bias []float32
	if b != nil {
		if len(b.Shape) != 1 || b.Shape[0] != g.co {
			panic(fmt.Sprintf("tensor.Conv2d: bias %v does not fit weight %v", b.Shape, w.Shape))
		}
		bias = b.Data
	}
	if useTapSkip(&g) || useWinograd(&g) || useImplicit(&g) {
		y := FromData(convForward(x.Data, n, w.Data, bias, &g), n, g.co, g.oh, g.ow)
		ApplyAct(y, act)
		return y
	}
	return FromData(convForwardIm2col(x.Data, n, w.Data, bias, &g, act), n, g.co, g.oh, g.ow)
}

// convForward computes y = conv(x, w) + bias for n images laid out as g
// says, by Winograd F(2×2, 3×3) (conv_winograd.go) or implicit GEMM
// (conv_implicit.go) where they apply. Work is split in (image, band of output rows) tasks; when there are
// enough tasks, each core runs whole tasks with a single-threaded GEMM,
// otherwise the tasks run in turn with the parallel GEMM.
func convForward(x []float32, n int, w, bias []float32, g *convGeom) []float32 {
	switch {
	case useTapSkip(g):
		return convForwardTapSkip(x, n, w, bias, g)
	case useWinograd(g):
		return convForwardWinograd(x, n, w, bias, g)
	case useImplicit(g):
		return convForwardImplicit(x, n, w, bias, g)
	}
	return convForwardIm2col(x, n, w, bias, g, ActNone)
}

// convForwardIm2col is convForward through explicit im2col matrices and
// Sgemm: the path of 1×1 convolutions and of very narrow outputs; act is
// applied band by band.
func convForwardIm2col(x []float32, n int, w, bias []float32, g *convGeom, act Act) []float32 {
	ohw, inSz := g.oh*g.ow, g.ci*g.h*g.w
	y := NewUninit(n * g.co * ohw).Data // every band's product is written with beta = 0
	if len(y) == 0 {
		return y
	}
	nb := g.bands(n)
	run := func(t int, cols []float32, mm gemmFunc) {
		img, b := t/nb, t%nb
		y0, y1 := g.band(b, nb)
		convBandForward(x[img*inSz:(img+1)*inSz], w, bias, y[img*g.co*ohw:(img+1)*g.co*ohw], g, y0, y1, cols, mm, act)
	}
	forTasks(n*nb, g.colsLen(nb), run)
	return y
}

// gemmFunc is the signature of gemm.Sgemm and gemm.SgemmSerial.
type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// colsLen is the im2col scratch one band needs (0 for direct convolutions).
func (g *convGeom) colsLen(nb int) int {
	if g.direct() {
		return 0
	}
	return g.k() * ((g.oh+nb-1)/nb + 1) * g.ow
}

// forTasks runs run(t, scratch, gemm) for t in [0, tasks): in parallel with
// the serial GEMM when there are at least as many tasks as cores, else one
// after the other with the parallel GEMM. Each worker owns one pooled
// scratch buffer of scratchLen floats.
//
// Workers claim tasks from a shared counter rather than fixed ranges, so a
// core slowed down by other processes simply does fewer tasks. Every task
// writes its own part of the output, so the result does not depend on
// which worker ran it.
func forTasks(tasks, scratchLen int, run func(t int, scratch []float32, mm gemmFunc)) {
	if nw := workers(tasks); tasks >= runtime.GOMAXPROCS(0) && nw > 1 {
		var next atomic.Int64
		parallelChunks(nw, nw, func(_, _, _ int) {
			buf := getScratch(scratchLen)
			for t := int(next.Add(1)) - 1; t < tasks; t = int(next.Add(1)) - 1 {
				run(t, *buf, gemm.SgemmSerial)
			}
			putScratch(buf)
		})
		return
	}
	buf := getScratch(scratchLen)
	for t := 0; t < tasks; t++ {
		run(t, *buf, gemm.Sgemm)
	}
	putScratch(buf)
}

// convBandForward computes output rows [y0, y1) of one image, then adds
// the bias and applies act to them. The product is written with beta = 0
// and the bias added after it: the same sum, rounded the same way, as
// accumulating the product onto a bias-filled output.
func convBandForward(x, w, bias, y []float32, g *convGeom, y0, y1 int, cols []float32, mm gemmFunc, act Act) {
	ohw := g.oh * g.ow
	p0, p1 := y0*g.ow, y1*g.ow
	defer func() {
		if bias == nil && act == ActNone {
			return
		}
		for c := 0; c < g.co; c++ {
			d := y[c*ohw+p0 : c*ohw+p1]
			if bias != nil {
				addScalarSlice(d, d, bias[c])
			}
			act.applyAct(d)
		}
	}()
	if g.direct() {
		mm(false, false, g.co, p1-p0, g.ci, 1, w, g.ci, x[p0:], g.h*g.w, 0, y[p0:], ohw)
		return
	}
	k := g.k()
	cols = cols[:k*(p1-p0)]
	im2col(x, cols, g, y0, y1)
	mm(false, false, g.co, p1-p0, k, 1, w, k, cols, p1-p0, 0, y[p0:], ohw)
}

// validCols returns the output columns [lo, hi) whose input column
// ox·s − p + kx·d falls inside [0, w).
func (g *convGeom) validCols(kx int) (lo, hi int) {
	off := kx*g.dil - g.pad // input column of output column 0
	if off < 0 {
		lo = (-off + g.stride - 1) / g.stride
	}
	last := g.w - 1 - off
	if last < 0 {
		return 0, 0
	}
	hi = min(g.ow, last/g.stride+1)
	lo = min(lo, hi)
	return lo, hi
}

// im2col writes the columns of output rows [y0, y1) of one image x
// [ci, h, w] into cols, a row-major [ci·kh·kw, (y1−y0)·ow] matrix whose row
// (c, ky, kx) holds x[c, oy·s − p + ky·d, ox·s − p + kx·d] (0 outside x).
// Same-width stride-1 and strided geometries have dedicated versions; the
// loop here handles the remaining stride-1 ones row by row.
func im2col(x, cols []float32, g *convGeom, y0, y1 int) {
	switch {
	case g.sameWidth():
		im2colSameWidth(x, cols, g, y0, y1)
		return
	case g.stride > 1:
		im2colStrided(x, cols, g, y0, y1)
		return
	}
	bl := (y1 - y0) * g.ow
	r := 0
	for c := 0; c < g.ci; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				row := cols[r*bl : (r+1)*bl]
				r++
				lo, hi := g.validCols(kx)
				off := kx*g.dil - g.pad
				for oy := y0; oy < y1; oy++ {
					seg := row[(oy-y0)*g.ow : (oy-y0+1)*g.ow]
					iy := oy*g.stride - g.pad + ky*g.dil
					if iy < 0 || iy >= g.h || lo >= hi {
						clear(seg)
						continue
					}
					clear(seg[:lo])
					clear(seg[hi:])
					src := plane[iy*g.w : (iy+1)*g.w]
					copy(seg[lo:hi], src[lo+off:hi+off])
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it adds every entry of cols (output rows
// [y0, y1)) to the input pixel it was gathered from in x [ci, h, w]. Only
// input channels [c0, c1) are done: channels write disjoint planes, so
// several goroutines can share one image. Entries of cols that fall in the
// padding may be overwritten (cols is scratch).
func col2im(cols, x []float32, g *convGeom, y0, y1, c0, c1 int) {
	switch {
	case g.sameWidth():
		col2imSameWidth(cols, x, g, y0, y1, c0, c1)
		return
	case g.stride > 1:
		col2imStrided(cols, x, g, y0, y1, c0, c1)
		return
	}
	bl := (y1 - y0) * g.ow
	r := c0 * g.kh * g.kw
	for c := c0; c < c1; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				row := cols[r*bl : (r+1)*bl]
				r++
				lo, hi := g.validCols(kx)
				off := kx*g.dil - g.pad
				for oy := y0; oy < y1; oy++ {
					iy := oy*g.stride - g.pad + ky*g.dil
					if iy < 0 || iy >= g.h || lo >= hi {
						continue
					}
					seg := row[(oy-y0)*g.ow : (oy-y0+1)*g.ow]
					dst := plane[iy*g.w : (iy+1)*g.w]
					axpy(1, seg[lo:hi], dst[lo+off:hi+off])
				}
			}
		}
	}
}

// sameWidth reports whether output rows are as wide as input rows at
// stride 1 ("same" padding, the usual 3×3 pad-1 case). Then the input
// pixels of one im2col row (c, ky, kx) over consecutive output rows are
// consecutive in memory, so a band is gathered with a single copy; only the
// few border columns that wrap into the neighbouring row need fixing.
func (g *convGeom) sameWidth() bool { return g.stride == 1 && g.ow == g.w }

// validRows returns the output rows within [y0, y1) whose input row
// oy − p + ky·d lies inside [0, h).
func (g *convGeom) validRows(ky, y0, y1 int) (lo, hi int) {
	off := ky*g.dil - g.pad
	lo, hi = max(y0, -off), min(y1, g.h-off)
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// im2colSameWidth is im2col for sameWidth geometries: one copy per im2col
// row and band, then zeros in the padding columns and rows.
func im2colSameWidth(x, cols []float32, g *convGeom, y0, y1 int) {
	ow, bl := g.ow, (y1-y0)*g.ow
	r := 0
	for c := 0; c < g.ci; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ky := 0; ky < g.kh; ky++ {
			ylo, yhi := g.validRows(ky, y0, y1)
			for kx := 0; kx < g.kw; kx++ {
				row := cols[r*bl : (r+1)*bl]
				r++
				lo, hi := g.validCols(kx)
				if lo >= hi || ylo >= yhi {
					clear(row)
					continue
				}
				clear(row[:(ylo-y0)*ow])
				clear(row[(yhi-y0)*ow:])
				// Element (oy, ox) comes from plane[iy·w + ox + off] with
				// iy = oy − p + ky·d: a single run for the valid rows.
				off := kx*g.dil - g.pad
				start := (ylo-y0)*ow + lo
				end := (yhi-y0)*ow - (ow - hi)
				src := (ylo-g.pad+ky*g.dil)*g.w + lo + off
				copy(row[start:end], plane[src:src+end-start])
				if lo > 0 || hi < ow {
					for oy := ylo; oy < yhi; oy++ {
						seg := row[(oy-y0)*ow : (oy-y0+1)*ow]
						clear(seg[:lo])
						clear(seg[hi:])
					}
				}
			}
		}
	}
}

// col2imSameWidth is col2im for sameWidth geometries. It first zeros the
// padding columns of cols (which is scratch), so that one axpy per im2col
// row and band adds nothing where the run wraps into the neighbouring row.
func col2imSameWidth(cols, x []float32, g *convGeom, y0, y1, c0, c1 int) {
	ow, bl := g.ow, (y1-y0)*g.ow
	r := c0 * g.kh * g.kw
	for c := c0; c < c1; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ky := 0; ky < g.kh; ky++ {
			ylo, yhi := g.validRows(ky, y0, y1)
			for kx := 0; kx < g.kw; kx++ {
				row := cols[r*bl : (r+1)*bl]
				r++
				lo, hi := g.validCols(kx)
				if lo >= hi || ylo >= yhi {
					continue
				}
				if lo > 0 || hi < ow {
					for oy := ylo; oy < yhi; oy++ {
						seg := row[(oy-y0)*ow : (oy-y0+1)*ow]
						clear(seg[:lo])
						clear(seg[hi:])
					}
				}
				off := kx*g.dil - g.pad
				start := (ylo-y0)*ow + lo
				end := (yhi-y0)*ow - (ow - hi)
				dst := (ylo-g.pad+ky*g.dil)*g.w + lo + off
				axpy(1, row[start:end], plane[dst:dst+end-start])
			}
		}
	}
}

// scratchPool recycles im2col buffers between calls, so that a training
// step does not allocate a fresh megabyte per convolution.
var scratchPool sync.Pool

func getScratch(n int) *[]float32 {
	if p, ok := scratchPool.Get().(*[]float32); ok {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
	}
	s := make([]float32, n)
	return &s
}

func putScratch(p *[]float32) { scratchPool.Put(p) }
