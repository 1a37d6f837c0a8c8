package tensor

import "sort"

// Skipping the taps that fall into the padding.
//
// A dilated convolution on a small map reads mostly padding: DeepLab's ASPP
// applies 3×3 kernels with dilation 12, 24 and 36 to a 32×64 map (a
// 512×1024 image at output stride 16), where six of the nine taps of the
// dilation-36 branch never touch the image and the others do for part of
// the map only. Im2col multiplies those zeros all the same. Here the output
// is cut into rectangles in which the set of kernel taps that land inside
// the input is the same for every pixel: a contiguous block of kernel rows
// [ky0, ky1) × columns [kx0, kx1), because a tap's valid outputs form one
// run of rows and one run of columns. Each rectangle is an unpadded
// convolution of an input crop with that block of the kernel, so only the
// products with image pixels are computed (ASPP at 512×1024: 41 % of
// them). Skipped taps would have added exact zeros, so the result is the
// padded convolution's up to the order of the float32 sums.

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

// convForwardTapSkip is convForward for useTapSkip geometries.
func convForwardTapSkip(x []float32, n int, w, bias []float32, g *convGeom) []float32 {
	ohw := g.oh * g.ow
	y := make([]float32, n*g.co*ohw)
	for _, r := range tapRuns(g.kh, g.dil, g.pad, g.h, g.oh) {
		for _, c := range tapRuns(g.kw, g.dil, g.pad, g.w, g.ow) {
			rh, rw := r.o1-r.o0, c.o1-c.o0
			if r.k1 == r.k0 || c.k1 == c.k0 { // no tap inside: the bias alone
				for img := 0; img < n; img++ {
					for o := 0; o < g.co; o++ {
						var b float32
						if bias != nil {
							b = bias[o]
						}
						for i := r.o0; i < r.o1; i++ {
							fillf(y[(img*g.co+o)*ohw+i*g.ow+c.o0:][:rw], b)
						}
					}
				}
				continue
			}
			kh, kw := r.k1-r.k0, c.k1-c.k0
			sub := convGeom{ci: g.ci, h: rh + (kh-1)*g.dil, w: rw + (kw-1)*g.dil, co: g.co, oh: rh, ow: rw,
				kh: kh, kw: kw, stride: 1, pad: 0, dil: g.dil}
			// The crop's top-left input pixel, and the kernel block.
			iy0, ix0 := r.o0-g.pad+r.k0*g.dil, c.o0-g.pad+c.k0*g.dil
			xs := getScratch(n * g.ci * sub.h * sub.w)
			crop := (*xs)[:n*g.ci*sub.h*sub.w]
			parallelGrain(n*g.ci, 16, func(c0, c1 int) {
				for ic := c0; ic < c1; ic++ {
					for i := 0; i < sub.h; i++ {
						copy(crop[(ic*sub.h+i)*sub.w:][:sub.w], x[(ic*g.h+iy0+i)*g.w+ix0:])
					}
				}
			})
			ws := getScratch(g.co * g.ci * kh * kw)
			wsub := (*ws)[:g.co*g.ci*kh*kw]
			parallelGrain(g.co*g.ci, 256, func(c0, c1 int) {
				for oc := c0; oc < c1; oc++ {
					src, dst := w[oc*g.kh*g.kw:], wsub[oc*kh*kw:]
					for a := 0; a < kh; a++ {
						for b := 0; b < kw; b++ {
							dst[a*kw+b] = src[(r.k0+a)*g.kw+c.k0+b]
						}
					}
				}
			})
			part := convForward(crop, n, wsub, bias, &sub)
			putScratch(xs)
			putScratch(ws)
			parallelGrain(n*g.co, 16, func(c0, c1 int) {
				for oc := c0; oc < c1; oc++ {
					src, dst := part[oc*rh*rw:], y[oc*ohw:]
					for i := 0; i < rh; i++ {
						copy(dst[(r.o0+i)*g.ow+c.o0:][:rw], src[i*rw:][:rw])
					}
				}
			})
		}
	}
	return y
}
