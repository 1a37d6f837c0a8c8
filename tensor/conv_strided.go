package tensor

// Strided convolutions gather every s-th input pixel, which as a scalar
// loop costs more than the GEMM it feeds. Instead, each input channel is
// first split into its s×s phase planes,
//
//	P[a][b][i][j] = x[i·s + a, j·s + b],
//
// after which input pixel oy·s + ty, ox·s + tx (ty = ky·d − p) of im2col row
// (c, ky, kx) is P[ty mod s][tx mod s][oy + ⌊ty/s⌋][ox + ⌊tx/s⌋]: consecutive
// output pixels read consecutive phase-plane pixels, so rows are copied with
// memmove (or, when a phase row is exactly as wide as an output row, one
// copy per band), and col2im adds them back with the vector axpy.

// floorDiv is ⌊a/b⌋ for b > 0 and any sign of a.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// phaseLayout describes the phase planes of the input rows one band needs.
type phaseLayout struct {
	s, pw    int // stride, phase-row width ⌈w/s⌉
	iLo, nr  int // first phase row held and number of rows per plane
	planeLen int // nr·pw
}

func (g *convGeom) phases(y0, y1 int) phaseLayout {
	s := g.stride
	ph := (g.h + s - 1) / s
	iLo := max(0, y0+floorDiv(-g.pad, s))
	iHi := min(ph, y1+floorDiv((g.kh-1)*g.dil-g.pad, s))
	l := phaseLayout{s: s, pw: (g.w + s - 1) / s, iLo: iLo, nr: max(0, iHi-iLo)}
	l.planeLen = l.nr * l.pw
	return l
}

// validRowsStrided returns the output rows within [y0, y1) whose input row
// oy·s + ty lies inside [0, h).
func (g *convGeom) validRowsStrided(ty, y0, y1 int) (lo, hi int) {
	s := g.stride
	lo = max(y0, floorDiv(-ty+s-1, s))
	hi = min(y1, floorDiv(g.h-1-ty, s)+1)
	return lo, max(lo, hi)
}

// splitPhases writes the phase planes of rows [l.iLo, l.iLo+l.nr) of one
// channel plane into ph (s² planes of planeLen floats).
func splitPhases(plane, ph []float32, g *convGeom, l *phaseLayout) {
	s, w := l.s, g.w
	for a := 0; a < s; a++ {
		for i := l.iLo; i < l.iLo+l.nr; i++ {
			iy := i*s + a
			if iy >= g.h {
				break
			}
			src := plane[iy*w : (iy+1)*w]
			base := (i - l.iLo) * l.pw
			if s == 2 {
				d0 := ph[(a*2)*l.planeLen+base:]
				d1 := ph[(a*2+1)*l.planeLen+base:]
				deinterleave2(d0[:w/2], d1, src)
				if w%2 == 1 {
					d0[w/2] = src[w-1]
				}
				continue
			}
			for b := 0; b < s; b++ {
				dst := ph[(a*s+b)*l.planeLen+base:]
				for j := 0; j*s+b < w; j++ {
					dst[j] = src[j*s+b]
				}
			}
		}
	}
}

// mergePhases adds phase planes ph back into the channel plane: the adjoint
// of splitPhases.
func mergePhases(ph, plane []float32, g *convGeom, l *phaseLayout) {
	s, w := l.s, g.w
	for a := 0; a < s; a++ {
		for i := l.iLo; i < l.iLo+l.nr; i++ {
			iy := i*s + a
			if iy >= g.h {
				break
			}
			dst := plane[iy*w : (iy+1)*w]
			base := (i - l.iLo) * l.pw
			if s == 2 {
				s0 := ph[(a*2)*l.planeLen+base:]
				interleaveAdd2(dst, s0[:w/2], ph[(a*2+1)*l.planeLen+base:])
				if w%2 == 1 {
					dst[w-1] += s0[w/2]
				}
				continue
			}
			for b := 0; b < s; b++ {
				src := ph[(a*s+b)*l.planeLen+base:]
				for j := 0; j*s+b < w; j++ {
					dst[j*s+b] += src[j]
				}
			}
		}
	}
}

// stridedRun locates im2col row (ky, kx) in the phase planes: the plane
// offset of output pixel (ylo, 0)'s source, and the valid rows and columns.
func (g *convGeom) stridedRun(l *phaseLayout, ky, kx, y0, y1 int) (src, ylo, yhi, lo, hi int) {
	ty, tx := ky*g.dil-g.pad, kx*g.dil-g.pad
	a, b := ty-floorDiv(ty, l.s)*l.s, tx-floorDiv(tx, l.s)*l.s
	ylo, yhi = g.validRowsStrided(ty, y0, y1)
	lo, hi = g.validCols(kx)
	i := ylo + floorDiv(ty, l.s)
	src = (a*l.s+b)*l.planeLen + (i-l.iLo)*l.pw + floorDiv(tx, l.s)
	return src, ylo, yhi, lo, hi
}

// im2colStrided is im2col for stride > 1.
func im2colStrided(x, cols []float32, g *convGeom, y0, y1 int) {
	l := g.phases(y0, y1)
	buf := getScratch(l.s * l.s * l.planeLen)
	defer putScratch(buf)
	ph := *buf
	ow, bl := g.ow, (y1-y0)*g.ow
	r := 0
	for c := 0; c < g.ci; c++ {
		splitPhases(x[c*g.h*g.w:(c+1)*g.h*g.w], ph, g, &l)
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				row := cols[r*bl : (r+1)*bl]
				r++
				src, ylo, yhi, lo, hi := g.stridedRun(&l, ky, kx, y0, y1)
				if lo >= hi || ylo >= yhi {
					clear(row)
					continue
				}
				clear(row[:(ylo-y0)*ow])
				clear(row[(yhi-y0)*ow:])
				if l.pw == ow {
					// Phase rows are output rows: one run, then fix the
					// columns that wrapped into the neighbouring row.
					start, end := (ylo-y0)*ow+lo, (yhi-y0)*ow-(ow-hi)
					copy(row[start:end], ph[src+lo:src+lo+end-start])
				} else {
					for oy := ylo; oy < yhi; oy++ {
						p := src + (oy-ylo)*l.pw
						copy(row[(oy-y0)*ow+lo:(oy-y0)*ow+hi], ph[p+lo:p+hi])
					}
				}
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

// col2imStrided is col2im for stride > 1 (channels [c0, c1)). It may
// overwrite the padding entries of cols.
func col2imStrided(cols, x []float32, g *convGeom, y0, y1, c0, c1 int) {
	l := g.phases(y0, y1)
	buf := getScratch(l.s * l.s * l.planeLen)
	defer putScratch(buf)
	ph := *buf
	ow, bl := g.ow, (y1-y0)*g.ow
	r := c0 * g.kh * g.kw
	for c := c0; c < c1; c++ {
		clear(ph)
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				row := cols[r*bl : (r+1)*bl]
				r++
				src, ylo, yhi, lo, hi := g.stridedRun(&l, ky, kx, y0, y1)
				if lo >= hi || ylo >= yhi {
					continue
				}
				if l.pw == ow {
					if lo > 0 || hi < ow {
						for oy := ylo; oy < yhi; oy++ {
							seg := row[(oy-y0)*ow : (oy-y0+1)*ow]
							clear(seg[:lo])
							clear(seg[hi:])
						}
					}
					start, end := (ylo-y0)*ow+lo, (yhi-y0)*ow-(ow-hi)
					axpy(1, row[start:end], ph[src+lo:src+lo+end-start])
					continue
				}
				for oy := ylo; oy < yhi; oy++ {
					p := src + (oy-ylo)*l.pw
					axpy(1, row[(oy-y0)*ow+lo:(oy-y0)*ow+hi], ph[p+lo:p+hi])
				}
			}
		}
		mergePhases(ph, x[c*g.h*g.w:(c+1)*g.h*g.w], g, &l)
	}
}
