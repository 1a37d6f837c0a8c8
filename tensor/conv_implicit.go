package tensor

import (
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// Implicit-GEMM convolution.
//
// The im2col formulation writes the [Ci·KH·KW, OH·OW] column matrix of an
// image to memory (K = Ci·KH·KW times the image, 2.4 MB for a 64-channel
// 32×32 image), then the GEMM reads it back to pack it into kc×NR panels:
// two passes over a matrix much larger than L2 before any arithmetic. Here
// each panel is gathered straight from the image into L1 and multiplied at
// once by every A panel of the packed weights, so the column matrix never
// exists.
//
// To make the gather a copy of contiguous runs, each band of output rows
// first copies the input rows it needs into a "source" buffer that holds
// the zero padding explicitly and, for stride s > 1, splits every channel
// into its s×s phase planes (P[a][b][i][j] = xpad[i·s+a, j·s+b]). Then im2col
// row (c, ky, kx) of output pixel (oy, ox) is
//
//	P_c[(ky·d) mod s][(kx·d) mod s][oy + ⌊ky·d/s⌋][ox + ⌊kx·d/s⌋],
//
// at a fixed offset (one table entry per row) from the pixel's own position
// oy·wq + ox: the NR consecutive pixels of a panel, within one output row,
// are NR consecutive source floats. A panel spanning several output rows is
// gathered as one run per row.
//
// The bias is folded into the product as one more step of the K dimension:
// the packed weights get a bias column and every panel a row of ones, so
// the kernel writes finished outputs (beta = 0) instead of reading back a
// bias-filled output.

// implicitPlan is the per-call state shared by all tasks of one
// convolution: packed weights, the gather table and buffer geometry.
type implicitPlan struct {
	g       *convGeom
	kn      gemm.TileKernel
	k       int // Ci·KH·KW: image rows of a panel
	kTot    int // k, plus one ones row when there is a bias
	blocks  []kBlock
	ap      []float32   // packed weights (and bias column), block after block
	table   gatherTable // offset of each of the k image rows in the source buffer
	wbuf    *[]float32  // pooled weights-with-bias matrix (nil without bias)
	apBuf   *[]float32  // pooled backing array of ap
	nb      int         // bands per image
	rowsMax int         // source rows per phase plane (tallest band)
	wq      int         // source row width
	srcLen  int         // floats of one band's source buffer
}

// kBlock is one block of the K dimension: steps [p0, p0+kc), whose packed
// weights start at ap[apOff].
type kBlock struct{ p0, kc, apOff int }

// implicitSrcLimit bounds one band's source buffer (in floats, 1 MiB), so
// that it stays in L2 while the band's panels are gathered from it.
const implicitSrcLimit = 1 << 18

// useImplicit reports whether the implicit-GEMM path handles g: every
// padded, strided or dilated geometry with output rows of at least 8
// pixels. 1×1 stride-1 unpadded convolutions multiply the image in place
// (no im2col at all), and very narrow outputs would gather panels in
// pieces too short for the vector copy.
func useImplicit(g *convGeom) bool { return !g.direct() && g.ow >= 8 }

// newImplicitPlan packs w [Co, K] (and bias, may be nil) for n images.
func newImplicitPlan(w, bias []float32, n int, g *convGeom) *implicitPlan {
	p := &implicitPlan{g: g, kn: gemm.TileKernelFor(g.co), k: g.k()}
	p.kTot = p.k
	wm := w[:g.co*p.k]
	if bias != nil {
		p.kTot++
		p.wbuf = getScratch(g.co * p.kTot)
		wm = *p.wbuf
		for i := 0; i < g.co; i++ {
			copy(wm[i*p.kTot:], w[i*p.k:(i+1)*p.k])
			wm[i*p.kTot+p.k] = bias[i]
		}
	}
	// Equal K blocks of at most the kernel's kc (a multiple of 8 where
	// possible), as Sgemm splits them.
	nblk := (p.kTot + p.kn.KC() - 1) / p.kn.KC()
	size := (p.kTot + nblk - 1) / nblk
	size = min(p.kn.KC(), (size+7)&^7)
	mPad := (g.co + p.kn.MR() - 1) / p.kn.MR() * p.kn.MR()
	p.apBuf = getScratch(mPad * p.kTot)
	p.ap = *p.apBuf
	off := 0
	for p0 := 0; p0 < p.kTot; p0 += size {
		kc := min(size, p.kTot-p0)
		p.kn.PackA(false, wm, p.kTot, 0, p0, g.co, kc, 1, p.ap[off:])
		p.blocks = append(p.blocks, kBlock{p0: p0, kc: kc, apOff: off})
		off += mPad * kc
	}

	s, d := g.stride, g.dil
	dy, dx := (g.kh-1)*d/s, (g.kw-1)*d/s
	p.wq = g.ow + dx
	p.nb = p.bands(n, dy)
	p.rowsMax = (g.oh+p.nb-1)/p.nb + dy
	p.srcLen = g.ci * s * s * p.rowsMax * p.wq
	offs := make([]int, 0, p.k)
	for c := 0; c < g.ci; c++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				plane := (c*s+ky*d%s)*s + kx*d%s
				offs = append(offs, (plane*p.rowsMax+ky*d/s)*p.wq+kx*d/s)
			}
		}
	}
	p.table = newGatherTable(offs)
	return p
}

// release returns the plan's pooled buffers; p must not be used after.
func (p *implicitPlan) release() {
	if p.wbuf != nil {
		putScratch(p.wbuf)
	}
	putScratch(p.apBuf)
	p.wbuf, p.apBuf, p.ap = nil, nil, nil
}

// bands returns how many bands of output rows each image is cut into: as
// few as keep a band's source buffer within implicitSrcLimit, and, when
// there are too few images to give every core an equal share, enough that
// the imbalance stays under 25 %.
func (p *implicitPlan) bands(n, dy int) int {
	g := p.g
	perRow := g.ci * g.stride * g.stride * p.wq
	rows := max(1, implicitSrcLimit/max(1, perRow)-dy)
	nb := (g.oh + rows - 1) / rows
	return balancedBands(nb, n, g.oh)
}

// scratchLen is one worker's scratch: a source buffer, a B panel of the
// deepest block, and a tile for partial edges.
func (p *implicitPlan) scratchLen() int {
	nr := p.kn.NR()
	return p.srcLen + p.blocks[0].kc*nr + p.kn.MR()*nr
}

// convForwardImplicit is convForward on the implicit-GEMM path.
func convForwardImplicit(x []float32, n int, w, bias []float32, g *convGeom) []float32 {
	inSz, outSz := g.ci*g.h*g.w, g.co*g.oh*g.ow
	y := NewUninit(n * outSz).Data // the first K block writes every pixel with beta = 0
	if len(y) == 0 {
		return y
	}
	p := newImplicitPlan(w, bias, n, g)
	nr := p.kn.NR()
	forTasks(n*p.nb, p.scratchLen(), func(t int, scratch []float32, _ gemmFunc) {
		img, b := t/p.nb, t%p.nb
		y0, y1 := b*g.oh/p.nb, (b+1)*g.oh/p.nb
		src := scratch[:p.srcLen]
		panel := scratch[p.srcLen : p.srcLen+p.blocks[0].kc*nr]
		tile := scratch[p.srcLen+p.blocks[0].kc*nr:]
		p.band(x[img*inSz:(img+1)*inSz], y[img*outSz:(img+1)*outSz], y0, y1, src, panel, tile)
	})
	p.release()
	return y
}

// band computes output rows [y0, y1) of one image x into its output y.
func (p *implicitPlan) band(x, y []float32, y0, y1 int, src, panel, tile []float32) {
	g := p.g
	p.fillSource(x, src, y0, y1)
	mr, nr := p.kn.MR(), p.kn.NR()
	ohw, ow := g.oh*g.ow, g.ow
	bandPix := (y1 - y0) * ow
	yb := y[y0*ow:]
	for q0 := 0; q0 < bandPix; q0 += nr {
		cols := min(nr, bandPix-q0)
		for bi, blk := range p.blocks {
			pan := panel[:blk.kc*nr]
			kimg := min(blk.kc, p.k-blk.p0) // rows from the image; the rest is the ones row
			if kimg > 0 {
				rows := p.table.rows(blk.p0, blk.p0+kimg)
				for q := q0; q < q0+cols; {
					oy, ox := q/ow, q%ow
					run := min(ow-ox, q0+cols-q)
					gatherRows(pan[q-q0:], nr, src[oy*p.wq+ox:], rows, run)
					q += run
				}
			}
			if kimg < blk.kc {
				fillf(pan[kimg*nr:(kimg+1)*nr], 1)
			}
			beta := float32(1)
			if bi == 0 {
				beta = 0
			}
			for ir := 0; ir < g.co; ir += mr {
				p.kn.Tile(blk.kc, p.ap[blk.apOff+ir*blk.kc:], pan, min(mr, g.co-ir), cols, beta, yb[ir*ohw+q0:], ohw, tile)
			}
		}
	}
}

// fillSource writes the source buffer of output rows [y0, y1): for every
// channel c and phase (a, b), rows i < y1−y0+⌊(KH−1)·d/s⌋ of the plane
// P_c[a][b][i][j] = xpad[(y0+i)·s + a, j·s + b], zero in the padding.
//
// It runs once per input row and phase, so the per-row work is kept to one
// copy (or one deinterleave for stride 2) plus a few scalar zero stores:
// function-call overheads, not bandwidth, dominated a version that called
// clear and copy three times per row.
func (p *implicitPlan) fillSource(x, src []float32, y0, y1 int) {
	g := p.g
	s, wq, w := g.stride, p.wq, g.w
	rows := y1 - y0 + (g.kh-1)*g.dil/s
	// Column j of phase b holds input column ix = j·s + b − pad; the valid
	// ones are [jlo[b], jhi[b]).
	var jlo, jhi [maxPhases]int
	for b := 0; b < s && b < maxPhases; b++ {
		jlo[b] = min(wq, max(0, (g.pad-b+s-1)/s))
		jhi[b] = max(jlo[b], min(wq, floorDiv(w-1+g.pad-b, s)+1))
	}
	var d2 *deinterleaveDirect
	if s == 2 {
		d2 = newDeinterleaveDirect(w, wq, g.pad, jlo[:2], jhi[:2])
	}
	for c := 0; c < g.ci; c++ {
		plane := x[c*g.h*w : (c+1)*g.h*w]
		for a := 0; a < s; a++ {
			base := (c*s + a) * s * p.rowsMax * wq // plane (c, a, b=0)
			for i := 0; i < rows; i++ {
				iy := (y0+i)*s + a - g.pad
				if iy < 0 || iy >= g.h {
					for b := 0; b < s; b++ {
						off := base + (b*p.rowsMax+i)*wq
						clear(src[off : off+wq])
					}
					continue
				}
				xrow := plane[iy*w : (iy+1)*w]
				switch {
				case s == 1:
					off := base + i*wq
					padCopy(src[off:off+wq], jlo[0], jhi[0], xrow[jlo[0]-g.pad:])
				case d2 != nil:
					d2.fill(src[base+i*wq:], p.rowsMax*wq, xrow)
				default:
					fillPhasesSlow(src[base+i*wq:], p.rowsMax*wq, wq, xrow, s, g.pad)
				}
			}
		}
	}
}

// maxPhases bounds the strides whose column ranges fillSource precomputes.
const maxPhases = 4

// padCopy sets row[jlo:jhi] = src[:jhi−jlo] and zeros the rest of row,
// with scalar stores for the (usually one- or two-float) padding.
func padCopy(row []float32, jlo, jhi int, src []float32) {
	for j := range row[:jlo] {
		row[j] = 0
	}
	copy(row[jlo:jhi], src[:jhi-jlo])
	tail := row[jhi:]
	if len(tail) > 16 {
		clear(tail)
		return
	}
	for j := range tail {
		tail[j] = 0
	}
}

// deinterleaveDirect fills the two phase rows of a stride-2 source with a
// single deinterleave straight into them: input column ix = 2j + b − pad
// is even or odd, so one phase row receives the evens and the other the
// odds, each at a fixed column shift.
type deinterleaveDirect struct {
	w, wq                 int
	evenB, oddB           int // phase holding the even / odd input columns
	evenJ, oddJ           int // their first column (the shift)
	pairs                 int // pairs the vector deinterleave writes
	evenLo, evenHi, oddLo int // valid columns of each phase row
	oddHi                 int
}

// newDeinterleaveDirect returns nil when a phase row is too short to take
// the whole deinterleaved run (fillPhasesSlow then handles the row).
func newDeinterleaveDirect(w, wq, pad int, jlo, jhi []int) *deinterleaveDirect {
	d := &deinterleaveDirect{w: w, wq: wq, pairs: w / 2}
	d.evenB = pad & 1      // b − pad even
	d.oddB = (pad + 1) & 1 // b − pad odd
	// ix = 2j + b − pad = 2m (+1 for odds)  ⇒  j = m + (pad − b (+1))/2.
	d.evenJ = (pad - d.evenB) / 2
	d.oddJ = (pad - d.oddB + 1) / 2
	d.evenLo, d.evenHi = jlo[d.evenB], jhi[d.evenB]
	d.oddLo, d.oddHi = jlo[d.oddB], jhi[d.oddB]
	// The valid columns must be exactly the deinterleaved ones.
	nEven, nOdd := (w+1)/2, w/2
	if d.evenLo != d.evenJ || d.evenHi != d.evenJ+nEven || d.oddLo != d.oddJ || d.oddHi != d.oddJ+nOdd {
		return nil
	}
	return d
}

// fill writes the phase rows of input row xrow: phase b's row starts at
// dst[b·planeStride].
func (d *deinterleaveDirect) fill(dst []float32, planeStride int, xrow []float32) {
	ev := dst[d.evenB*planeStride : d.evenB*planeStride+d.wq]
	od := dst[d.oddB*planeStride : d.oddB*planeStride+d.wq]
	deinterleave2(ev[d.evenJ:d.evenJ+d.pairs], od[d.oddJ:d.oddJ+d.pairs], xrow)
	if d.w%2 == 1 {
		ev[d.evenJ+d.pairs] = xrow[d.w-1]
	}
	zeroOutside(ev, d.evenLo, d.evenHi)
	zeroOutside(od, d.oddLo, d.oddHi)
}

// zeroOutside zeros row[:lo] and row[hi:].
func zeroOutside(row []float32, lo, hi int) {
	for j := range row[:lo] {
		row[j] = 0
	}
	for j := range row[hi:] {
		row[hi+j] = 0
	}
}

// fillPhasesSlow writes the s phase rows (row b at dst[b·planeStride],
// wq floats) of input row xrow element by element: strides above 2, or a
// stride-2 geometry whose phase rows are narrower than the input row.
func fillPhasesSlow(dst []float32, planeStride, wq int, xrow []float32, s, pad int) {
	w := len(xrow)
	for b := 0; b < s; b++ {
		row := dst[b*planeStride : b*planeStride+wq]
		for j := range row {
			ix := j*s + b - pad
			if ix >= 0 && ix < w {
				row[j] = xrow[ix]
			} else {
				row[j] = 0
			}
		}
	}
}
