package tensor

import (
	"sort"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// Skipping the taps that fall into the padding.
//
// A dilated convolution on a small map reads mostly padding: DeepLab's ASPP
// applies 3×3 kernels with dilation 12, 24 and 36 to a 32×64 map (a
// 512×1024 image at output stride 16), where six of the nine taps of the
// dilation-36 branch never touch the image and the others do for part of
// the map only. Im2col multiplies those zeros all the same. Here each
// kernel tap is one GEMM over the rectangle of outputs where that tap
// lands inside the input (a tap's valid outputs form one run of rows and
// one run of columns), so only the products with image pixels are computed
// (ASPP at 512×1024: 41 % of them), in a few large GEMMs. Skipped taps
// would have added exact zeros, so the result is the padded convolution's
// up to the order of the float32 sums. (The first version cut the output
// into rectangles of equal valid-tap sets, each an unpadded convolution of
// a crop: many small convolutions, slower than the padded one for
// dilation 12.)

// tapSkipMaxShare is the largest share of computed products (valid over
// all) at which cutting the output into rectangles pays for copying the
// crops; "same" 3×3 convolutions on ordinary maps (≈ 97 %) stay whole.
const tapSkipMaxShare = 0.8

// useTapSkip reports whether g is a stride-1 dilated convolution whose
// padding swallows enough taps to be worth cutting up.
func useTapSkip(g *convGeom) bool {
	if g.stride != 1 || g.dil == 1 || g.pad == 0 || g.oh*g.ow == 0 {
		return false
	}
	rows := tapRuns(g.kh, g.dil, g.pad, g.h, g.oh)
	cols := tapRuns(g.kw, g.dil, g.pad, g.w, g.ow)
	var vr, vc int
	for _, r := range rows {
		vr += (r.o1 - r.o0) * (r.k1 - r.k0)
	}
	for _, c := range cols {
		vc += (c.o1 - c.o0) * (c.k1 - c.k0)
	}
	return float64(vr)*float64(vc) <= tapSkipMaxShare*float64(g.oh*g.kh)*float64(g.ow*g.kw)
}

// tapRun is a run [o0, o1) of output positions along one axis that all
// read the input with kernel taps [k0, k1) and only those.
type tapRun struct{ o0, o1, k0, k1 int }

// tapRuns cuts out output positions [0, on) of one axis (input size in,
// k taps, dilation d, padding p, stride 1) into runs of equal valid taps.
func tapRuns(k, d, p, in, on int) []tapRun {
	cuts := []int{0, on}
	for t := 0; t < k; t++ {
		off := t*d - p // input position of output 0
		for _, c := range []int{-off, in - off} {
			if c > 0 && c < on {
				cuts = append(cuts, c)
			}
		}
	}
	sort.Ints(cuts)
	var runs []tapRun
	for i := 0; i+1 < len(cuts); i++ {
		o0, o1 := cuts[i], cuts[i+1]
		if o0 == o1 {
			continue
		}
		k0, k1 := validTaps(o0-p, d, k, in)
		runs = append(runs, tapRun{o0, o1, k0, k1})
	}
	return runs
}

// tapSpan returns the output positions [o0, o1) of one axis (stride 1)
// whose input position o + off lies in [0, in), clipped to [0, on).
func tapSpan(off, in, on int) (o0, o1 int) {
	return max(0, -off), max(0, min(on, in-off))
}

// convForwardTapSkip is convForward for useTapSkip geometries, one GEMM
// per kernel tap: tap (ky, kx) adds W[:, :, ky, kx] · x shifted by
// (ky·d − p, kx·d − p) to the rectangle of outputs where the shifted
// pixel lies inside the image, so only products with image pixels are
// computed, each GEMM with the full channel depth K = ci and as many
// columns as its rectangle has pixels (the whole map for the centre tap).
// A tap whose rectangle spans whole output rows with no horizontal shift
// reads x and accumulates into y in place; the others gather their input
// rectangle and add their product back.
func convForwardTapSkip(x []float32, n int, w, bias []float32, g *convGeom) []float32 {
	ohw, hw, taps := g.oh*g.ow, g.h*g.w, g.kh*g.kw
	y := make([]float32, n*g.co*ohw)
	ws := getScratch(g.co * g.ci)
	defer putScratch(ws)
	wt := *ws
	for ky := 0; ky < g.kh; ky++ {
		dy := ky*g.dil - g.pad
		r0, r1 := tapSpan(dy, g.h, g.oh)
		for kx := 0; kx < g.kw; kx++ {
			dx := kx*g.dil - g.pad
			c0, c1 := tapSpan(dx, g.w, g.ow)
			if r0 >= r1 || c0 >= c1 {
				continue // the tap reads padding only
			}
			tap := ky*g.kw + kx
			parallelGrain(g.co, 16, func(o0, o1 int) {
				for o := o0; o < o1; o++ {
					src, dst := w[o*g.ci*taps+tap:], wt[o*g.ci:(o+1)*g.ci]
					for c := range dst {
						dst[c] = src[c*taps]
					}
				}
			})
			rh, rw := r1-r0, c1-c0
			np := rh * rw
			for img := 0; img < n; img++ {
				xi, yi := x[img*g.ci*hw:(img+1)*g.ci*hw], y[img*g.co*ohw:(img+1)*g.co*ohw]
				if dx == 0 && c0 == 0 && rw == g.ow && g.ow == g.w {
					gemm.Sgemm(false, false, g.co, np, g.ci, 1, wt, g.ci, xi[(r0+dy)*g.w:], hw, 1, yi[r0*g.ow:], ohw)
					continue
				}
				bs, ps := getScratch(g.ci*np), getScratch(g.co*np)
				b, prod := *bs, *ps
				parallelGrain(g.ci, 16, func(c0i, c1i int) {
					for c := c0i; c < c1i; c++ {
						for i := 0; i < rh; i++ {
							copy(b[c*np+i*rw:][:rw], xi[c*hw+(r0+i+dy)*g.w+c0+dx:])
						}
					}
				})
				gemm.Sgemm(false, false, g.co, np, g.ci, 1, wt, g.ci, b, np, 0, prod, np)
				parallelGrain(g.co, 16, func(o0, o1 int) {
					for o := o0; o < o1; o++ {
						for i := 0; i < rh; i++ {
							dst := yi[o*ohw+(r0+i)*g.ow+c0:][:rw]
							addSlice(dst, dst, prod[o*np+i*rw:][:rw])
						}
					}
				})
				putScratch(bs)
				putScratch(ps)
			}
		}
	}
	if bias != nil {
		parallelGrain(n*g.co, 16, func(p0, p1 int) {
			for p := p0; p < p1; p++ {
				addScalarSlice(y[p*ohw:(p+1)*ohw], y[p*ohw:(p+1)*ohw], bias[p%g.co])
			}
		})
	}
	return y
}
