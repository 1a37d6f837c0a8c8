package tensor

// The depthwise forward pass, one output row at a time. Every output row is
// a sum of "taps": a kernel weight times a unit-stride run of one input row
// (stride 1), or of the even or odd columns of one input row (stride 2),
// the rows copied once per plane with their left and right zero padding
// (and deinterleaved for stride 2). dwTaps sums the taps sixteen columns at
// a time (AVX-512 on amd64). The taps are summed in row-major kernel order,
// as the definition does; kernel rows outside the input are skipped, and
// kernel columns in the padding add exact zeros, so the result differs from
// the definition only by the fused multiply-adds of the vector kernel (a
// few ulp) and, possibly, the sign of a zero.

// dwGeom is the geometry of one depthwise convolution plane.
type dwGeom struct {
	h, w, k, oh, ow, s, p, d int
}

// dwScratch is one worker's reusable buffers.
type dwScratch struct {
	even, odd []float32   // deinterleaved input plane (stride 2)
	srcs      [][]float32 // the taps of one output row
	wts       []float32
	cols      []dwColumn // where each kernel column reads
}

// dwColumn says where one kernel column reads for output column j: plane
// column j+q of the odd-column plane (odd) or of the even or whole one.
type dwColumn struct {
	odd bool
	q   int
}

// plane computes one output plane dst[oh*ow] from src[h*w] and the k×k
// kernel ker, plus bias, then act.
func (g dwGeom) plane(dst, src, ker []float32, bias float32, act Act, sc *dwScratch) {
	if g.s > 2 {
		g.direct(dst, src, ker, bias, 0, g.oh, 0, g.ow)
		act.applyAct(dst)
		return
	}
	// The rows, padded left and right with p zeros (wp wide), so that every
	// tap of every output column reads inside a row: stride 1 reads them
	// whole; stride 2 reads their even (we wide) and odd (wo wide) columns.
	// Kernel rows that fall above or below the input are skipped instead.
	wp := g.w + 2*g.p
	we, wo := wp, 0
	if g.s == 2 {
		// The odd plane's rows are as wide as the even plane's (one unused
		// column when wp is odd), so a row step is the same for both.
		we, wo = (wp+1)/2, (wp+1)/2
	}
	sc.even, sc.odd = grow(sc.even, g.h*we), grow(sc.odd, g.h*wo)
	for y := 0; y < g.h; y++ {
		row := src[y*g.w : (y+1)*g.w]
		ev := sc.even[y*we : (y+1)*we]
		if g.s == 1 {
			clear(ev[:g.p])
			copy(ev[g.p:], row)
			clear(ev[g.p+g.w:])
			continue
		}
		// Padded column t is row[t-p]: with p even, row's even columns
		// land on even padded columns from p/2 on; with p odd, on odd ones.
		od := sc.odd[y*wo : (y+1)*wo]
		clear(ev)
		clear(od)
		d0, d1 := ev[g.p/2:], od[g.p/2:]
		if g.p%2 == 1 {
			d0, d1 = od[(g.p-1)/2:], ev[(g.p+1)/2:]
		}
		n := g.w / 2
		deinterleave2(d0[:n], d1, row)
		if g.w%2 == 1 {
			d0[n] = row[g.w-1]
		}
	}
	sc.cols = sc.cols[:0]
	for kj := 0; kj < g.k; kj++ {
		off := kj * g.d // padded column read by output column 0
		c := dwColumn{q: off}
		if g.s == 2 {
			c = dwColumn{odd: off%2 == 1, q: off / 2}
		}
		sc.cols = append(sc.cols, c)
	}
	// Output rows whose kernel rows all lie inside the input (the
	// interior) share one tap list, each row s input rows further down,
	// and run in one kernel call; the few border rows run one by one with
	// the kernel rows outside the input left out.
	i0, i1 := g.oh, g.oh
	for i := 0; i < g.oh; i++ {
		if lo, hi := validTaps(i*g.s-g.p, g.d, g.k, g.h); lo == 0 && hi == g.k {
			if i0 == g.oh {
				i0 = i
			}
			i1 = i + 1
		}
	}
	for i := 0; i < g.oh; {
		rows := 1
		if i == i0 {
			rows = i1 - i0
		}
		sc.srcs, sc.wts = sc.srcs[:0], sc.wts[:0]
		span := (rows-1)*g.s*we + g.ow // floats each tap reads
		for ki := 0; ki < g.k; ki++ {
			yy := i*g.s - g.p + ki*g.d
			if yy < 0 || yy >= g.h {
				continue
			}
			for kj, c := range sc.cols {
				plane := sc.even
				if c.odd {
					plane = sc.odd
				}
				off := yy*we + c.q
				sc.srcs = append(sc.srcs, plane[off:off+span])
				sc.wts = append(sc.wts, ker[ki*g.k+kj])
			}
		}
		block := dst[i*g.ow : (i+rows)*g.ow]
		if len(sc.srcs) == 0 {
			for j := range block {
				block[j] = bias
			}
		} else {
			dwTapsRows(block, g.ow, g.ow, rows, sc.srcs, g.s*we, sc.wts, bias)
		}
		act.applyAct(block)
		i += rows
	}
}

// grow returns b resized to n, reallocated only when too small.
func grow(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// direct computes dst rows [i0, i1), columns [j0, j1) by the definition:
// the taps inside the input, in row-major kernel order.
func (g dwGeom) direct(dst, src, ker []float32, bias float32, i0, i1, j0, j1 int) {
	for i := i0; i < i1; i++ {
		y0 := i*g.s - g.p
		kilo, kihi := validTaps(y0, g.d, g.k, g.h)
		for j := j0; j < j1; j++ {
			x0 := j*g.s - g.p
			kjlo, kjhi := validTaps(x0, g.d, g.k, g.w)
			var acc float32
			for ki := kilo; ki < kihi; ki++ {
				base := (y0+ki*g.d)*g.w + x0
				for kj := kjlo; kj < kjhi; kj++ {
					acc += ker[ki*g.k+kj] * src[base+kj*g.d]
				}
			}
			dst[i*g.ow+j] = acc + bias
		}
	}
}

// validTaps returns the taps t in [lo, hi) of a k-tap, dilation-d kernel
// whose input position o + t·d lies in [0, n).
func validTaps(o, d, k, n int) (lo, hi int) {
	lo, hi = 0, k
	if o < 0 {
		lo = (-o + d - 1) / d
	}
	if last := o + (k-1)*d; last >= n {
		hi = k - (last-n+d)/d
	}
	return lo, max(lo, hi)
}

// dwTapsRowsGeneric sets, for rows r < rows and columns j < n,
// dst[r·ldd + j] = Σ_t wts[t]·srcs[t][r·lds + j] + bias, the taps summed in
// order (tap by tap over the row, which is the same order per element).
func dwTapsRowsGeneric(dst []float32, n, ldd, rows int, srcs [][]float32, lds int, wts []float32, bias float32) {
	for r := 0; r < rows; r++ {
		d := dst[r*ldd : r*ldd+n]
		clear(d)
		for t, src := range srcs {
			w := wts[t]
			for j, v := range src[r*lds : r*lds+n] {
				d[j] += w * v
			}
		}
		for j := range d {
			d[j] += bias
		}
	}
}
