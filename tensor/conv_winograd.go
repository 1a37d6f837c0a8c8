package tensor

import (
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// Winograd convolution F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", CVPR 2016, arXiv:1509.09308).
//
// A 3×3 stride-1 convolution computes each 2×2 output tile from a 4×4
// input patch d as
//
//	Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
//
// with the constant matrices
//
//	Bᵀ = ⎡1  0 −1  0⎤   G = ⎡ 1    0    0 ⎤   Aᵀ = ⎡1 1  1  0⎤
//	     ⎢0  1  1  0⎥       ⎢ ½    ½    ½ ⎥        ⎣0 1 −1 −1⎦
//	     ⎢0 −1  1  0⎥       ⎢ ½   −½    ½ ⎥
//	     ⎣0  1  0 −1⎦       ⎣ 0    0    1 ⎦
//
// The sum over input channels c for each of the 16 positions ξ of the 4×4
// transformed tile is a matrix product M_ξ = U_ξ·V_ξ, U_ξ [Co, Ci] the
// transformed weights and V_ξ [Ci, tiles] the transformed patches, so the
// multiply-adds drop from 9 to 4 per output pixel and channel pair (2.25×
// fewer) at the price of the cheap (add-only) input and output transforms.
// The rounding error grows by a small constant factor over direct
// convolution (the transforms' coefficients are 0, ±½ and ±1).
//
// The 16 products run on the GEMM micro-kernel through gemm.TileKernel:
// tiles are processed NR at a time (a block), whose transformed patches
// V_ξ form exactly one B panel per ξ; the outputs M_ξ of the block (16·Co
// rows of NR) stay in L2 until the output transform turns them into pixels
// and adds the bias.
//
// To make the input transform a sequence of vector operations over
// consecutive tiles, the padded input rows are split into even and odd
// columns (as the stride-2 phase planes of conv_implicit.go): patch column
// 0…3 of tile tx is even[tx], odd[tx], even[tx+1], odd[tx+1].

// useWinograd reports whether Conv2d runs g with Winograd F(2×2, 3×3):
// 3×3 kernels at stride 1 without dilation, with enough input channels,
// at least one tile height of output channels, and outputs wide enough for
// whole blocks of tiles.
func useWinograd(g *convGeom) bool {
	return g.kh == 3 && g.kw == 3 && g.stride == 1 && g.dil == 1 &&
		g.ci >= winoMinChannels && g.co >= 8 && g.ow >= 8 && g.oh >= 2
}

// winoMinChannels is the smallest Ci worth the transforms, whose cost per
// tile grows with Ci + Co while the saved multiply-adds grow with Ci·Co;
// small Ci also makes the 16 products too shallow for the micro-kernel.
// Measured on the segnet-ref layers (one core, batch 8, CPU ms, Winograd vs
// implicit GEMM): 64→64 at 32×32 4.1 vs 6.6, 64→32 2.6 vs 3.7, and the
// 32→10 head at 64×64 2.2 vs 2.8.
const winoMinChannels = 16

// winoPlan is the per-call state of a Winograd convolution.
type winoPlan struct {
	g        *convGeom
	kn       gemm.TileKernel
	th, tw   int // tile rows and columns of the output
	blocks   []kBlock
	apStride int       // floats of packed U per ξ
	ap       []float32 // packed U_ξ, ξ after ξ, each in K blocks
	apBuf    *[]float32
	bias     []float32
	nb       int // bands of tile rows per image
	srcRows  int // padded input rows held per band (tallest band)
	tw1      int // width of the even/odd column planes
	srcLen   int
}

// newWinoPlan transforms and packs w [Co, Ci, 3, 3] for n images.
func newWinoPlan(w, bias []float32, n int, g *convGeom) *winoPlan {
	p := &winoPlan{g: g, kn: gemm.TileKernelFor(g.co), bias: bias}
	p.th, p.tw = (g.oh+1)/2, (g.ow+1)/2
	co, ci := g.co, g.ci
	nblk := (ci + p.kn.KC() - 1) / p.kn.KC()
	size := min(p.kn.KC(), ((ci+nblk-1)/nblk+7)&^7)
	mr := p.kn.MR()
	mPad := (co + mr - 1) / mr * mr
	p.apStride = mPad * ci
	for p0 := 0; p0 < ci; p0 += size {
		p.blocks = append(p.blocks, kBlock{p0: p0, kc: min(size, ci-p0), apOff: mPad * p0})
	}
	// The transformed weights, packed as A panels; padding lanes stay zero.
	p.apBuf = getScratch(16 * p.apStride)
	p.ap = *p.apBuf
	clear(p.ap)
	// Output channels write disjoint lanes: split them over the cores
	// (this runs before the parallel tasks, so serially it would be pure
	// waiting for the other core on a 64×64 layer).
	parallelGrain(co, max(1, winoPlanGrain/(ci*9)), func(o0, o1 int) { p.transformWeights(w, o0, o1) })
	p.tw1 = p.tw + 1
	p.nb = p.bands(n)
	p.srcRows = 2*((p.th+p.nb-1)/p.nb) + 2
	p.srcLen = 2 * ci * p.srcRows * p.tw1
	return p
}

// bands is implicitPlan.bands for tile rows: few enough bands that a band's
// source stays within implicitSrcLimit, enough for load balance.
func (p *winoPlan) bands(n int) int {
	perRow := 2 * 2 * p.g.ci * p.tw1 // two padded rows per tile row
	rows := max(1, implicitSrcLimit/max(1, perRow)-1)
	nb := (p.th + rows - 1) / rows
	return balancedBands(nb, n, p.th)
}

func (p *winoPlan) release() {
	putScratch(p.apBuf)
	p.apBuf, p.ap = nil, nil
}

// vStride and mStride are the distances between the 16 panels of V
// (Ci×NR each) and of M (Co×NR each). They are padded by a cache line:
// with Ci·NR floats (8 KiB for 64 channels) the 16 panels would start in
// the same L1 set, and the transforms, which touch all 16 at once, measured
// 3× slower from the conflict misses.
func (p *winoPlan) vStride() int { return p.g.ci*p.kn.NR() + 16 }
func (p *winoPlan) mStride() int { return p.g.co*p.kn.NR() + 16 }

// scratchLen: source planes, V, M and a partial tile.
func (p *winoPlan) scratchLen() int {
	return p.srcLen + 16*p.vStride() + 16*p.mStride() + p.kn.MR()*p.kn.NR()
}

// convForwardWinograd is convForward by Winograd F(2×2, 3×3).
func convForwardWinograd(x []float32, n int, w, bias []float32, g *convGeom) []float32 {
	inSz, outSz := g.ci*g.h*g.w, g.co*g.oh*g.ow
	y := NewUninit(n * outSz).Data // the output transform writes every pixel
	if len(y) == 0 {
		return y
	}
	p := newWinoPlan(w, bias, n, g)
	forTasks(n*p.nb, p.scratchLen(), func(t int, scratch []float32, _ gemmFunc) {
		img, b := t/p.nb, t%p.nb
		ty0, ty1 := b*p.th/p.nb, (b+1)*p.th/p.nb
		vEnd := p.srcLen + 16*p.vStride()
		mEnd := vEnd + 16*p.mStride()
		src := scratch[:p.srcLen]
		v := scratch[p.srcLen:vEnd]
		m := scratch[vEnd:mEnd]
		tile := scratch[mEnd:]
		p.band(x[img*inSz:(img+1)*inSz], y[img*outSz:(img+1)*outSz], ty0, ty1, src, v, m, tile)
	})
	p.release()
	return y
}

// band computes the output tile rows [ty0, ty1) of one image.
func (p *winoPlan) band(x, y []float32, ty0, ty1 int, src, v, m, tile []float32) {
	g := p.g
	p.fillSource(x, src, ty0, ty1)
	nr, mr := p.kn.NR(), p.kn.MR()
	tw, tw1 := p.tw, p.tw1
	planeLen := p.srcRows * tw1
	vs, ms := p.vStride(), p.mStride() // ξ strides of V and M
	bandTiles := (ty1 - ty0) * tw
	for t0 := 0; t0 < bandTiles; t0 += nr {
		cols := min(nr, bandTiles-t0)
		// V_ξ[c][j] for the tiles t0+j, one run of tiles per tile row.
		for c := 0; c < g.ci; c++ {
			ev := src[(2*c)*planeLen : (2*c+1)*planeLen]
			od := src[(2*c+1)*planeLen : (2*c+2)*planeLen]
			for t := t0; t < t0+cols; {
				ty, tx := t/tw, t%tw
				run := min(tw-tx, t0+cols-t)
				r := 2 * ty * tw1
				winoInput(v[c*nr+t-t0:], vs, ev[r+tx:], od[r+tx:], tw1, run)
				t += run
			}
		}
		// M_ξ = U_ξ·V_ξ.
		for xi := 0; xi < 16; xi++ {
			for bi, blk := range p.blocks {
				beta := float32(1)
				if bi == 0 {
					beta = 0
				}
				pan := v[xi*vs+blk.p0*nr : xi*vs+(blk.p0+blk.kc)*nr]
				ap := p.ap[xi*p.apStride+blk.apOff:]
				for ir := 0; ir < g.co; ir += mr {
					p.kn.Tile(blk.kc, ap[ir*blk.kc:], pan, min(mr, g.co-ir), cols, beta, m[xi*ms+ir*nr:], nr, tile)
				}
			}
		}
		// Y = Aᵀ M A + bias, tile row by tile row.
		for o := 0; o < g.co; o++ {
			var bv float32
			if p.bias != nil {
				bv = p.bias[o]
			}
			plane := y[o*g.oh*g.ow : (o+1)*g.oh*g.ow]
			for t := t0; t < t0+cols; {
				ty, tx := (t/tw)+ty0, t%tw
				run := min(tw-tx, t0+cols-t)
				oy := 2 * ty
				rows := min(2, g.oh-oy)
				winoOutput(plane[oy*g.ow:], g.ow, rows, 2*tx, m[o*nr+t-t0:], ms, run, bv)
				t += run
			}
		}
	}
}

// fillSource writes, for every channel c, the even (plane 2c) and odd
// (plane 2c+1) columns of the padded input rows 2·ty0 … 2·ty1+1:
// plane[r][j] = xpad[2·ty0 + r][2j + parity], zero in the padding and past
// the image (odd output sizes read one row and column beyond it).
func (p *winoPlan) fillSource(x, src []float32, ty0, ty1 int) {
	g := p.g
	w, tw1 := g.w, p.tw1
	rows := 2*(ty1-ty0) + 2
	planeLen := p.srcRows * tw1
	var jlo, jhi [2]int
	for b := 0; b < 2; b++ {
		jlo[b] = min(tw1, max(0, (g.pad-b+1)/2))
		jhi[b] = max(jlo[b], min(tw1, floorDiv(w-1+g.pad-b, 2)+1))
	}
	d2 := newDeinterleaveDirect(w, tw1, g.pad, jlo[:], jhi[:])
	for c := 0; c < g.ci; c++ {
		plane := x[c*g.h*w : (c+1)*g.h*w]
		base := 2 * c * planeLen
		for r := 0; r < rows; r++ {
			iy := 2*ty0 + r - g.pad
			off := base + r*tw1
			if iy < 0 || iy >= g.h {
				clear(src[off : off+tw1])
				clear(src[off+planeLen : off+planeLen+tw1])
				continue
			}
			xrow := plane[iy*w : (iy+1)*w]
			if d2 != nil {
				d2.fill(src[off:], planeLen, xrow)
			} else {
				fillPhasesSlow(src[off:], planeLen, tw1, xrow, 2, g.pad)
			}
		}
	}
}

// winoInput is winoInputGeneric, eight tiles at a time in vector code
// where available.
func winoInput(v []float32, vs int, ev, od []float32, ld, n int) {
	if done := winoInputVec(v, vs, ev, od, ld, n); done < n {
		winoInputGeneric(v[done:], vs, ev[done:], od[done:], ld, n-done)
	}
}

// winoOutput is winoOutputGeneric, eight tiles at a time in vector code
// where available.
func winoOutput(dst []float32, ld, rows, x0 int, m []float32, ms, n int, bias float32) {
	if done := winoOutputVec(dst, ld, rows, x0, m, ms, n, bias); done < n {
		winoOutputGeneric(dst, ld, rows, x0+2*done, m[done:], ms, n-done, bias)
	}
}

// winoPlanGrain is the smallest weight transform (in filter taps) worth
// splitting across cores.
const winoPlanGrain = 1 << 14

// transformWeights writes U_ξ[o][c] = (G g Gᵀ)[ξ] for the 3×3 filters
// g = w[o, c], o in [o0, o1), straight into the packed A panels (what
// PackA would produce from the row-major U_ξ): in K block b, element
// (o, c) of U_ξ sits in panel o/MR at step c − p0, lane o mod MR.
func (p *winoPlan) transformWeights(w []float32, o0, o1 int) {
	ci, mr := p.g.ci, p.kn.MR()
	for _, b := range p.blocks {
		for o := o0; o < o1; o++ {
			lane := b.apOff + (o/mr)*mr*b.kc + o%mr
			for c := b.p0; c < b.p0+b.kc; c++ {
				f := w[(o*ci+c)*9 : (o*ci+c)*9+9]
				var t [4][3]float32 // G g
				for j := 0; j < 3; j++ {
					g0, g1, g2 := f[j], f[3+j], f[6+j]
					t[0][j] = g0
					t[1][j] = 0.5 * (g0 + g1 + g2)
					t[2][j] = 0.5 * (g0 - g1 + g2)
					t[3][j] = g2
				}
				at := lane + (c-b.p0)*mr
				for i := 0; i < 4; i++ {
					r := t[i]
					xi := i * 4 * p.apStride
					p.ap[xi+at] = r[0]
					p.ap[xi+p.apStride+at] = 0.5 * (r[0] + r[1] + r[2])
					p.ap[xi+2*p.apStride+at] = 0.5 * (r[0] - r[1] + r[2])
					p.ap[xi+3*p.apStride+at] = r[2]
				}
			}
		}
	}
}
