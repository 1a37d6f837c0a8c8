package gemm

// packA copies alpha·op(A)[ic:ic+mc, pc:pc+kc] into dst as consecutive
// mr-row panels; within a panel element (i, p) is at p*mr+i. The kernel
// always computes full tiles; the rows past mc only feed tile rows that are
// thrown away, and are zeroed so stale (possibly NaN or subnormal) values
// never enter the arithmetic.
func packA(kn *microKernel, trans bool, a []float32, lda, ic, pc, mc, kc int, alpha float32, dst []float32) {
	if trans {
		// op(A)(i, p) = a[p*lda+i]: stored row p holds step p of all mc rows.
		packPanels(kn, a[pc*lda+ic:], lda, kc, mc, kn.mr, alpha, dst)
		return
	}
	// op(A)(i, p) = a[i*lda+p]: stored row i holds all kc steps of row i.
	packTransposed(kn, a[ic*lda+pc:], lda, kc, mc, kn.mr, alpha, dst)
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into dst as consecutive nr-column
// panels; within a panel element (p, j) is at p*nr+j. Columns past nc are
// zeroed, as in packA.
func packB(kn *microKernel, trans bool, b []float32, ldb, pc, jc, kc, nc int, dst []float32) {
	if !trans {
		// op(B)(p, j) = b[p*ldb+j]: stored row p holds step p of all nc columns.
		packPanels(kn, b[pc*ldb+jc:], ldb, kc, nc, kn.nr, 1, dst)
		return
	}
	// op(B)(p, j) = b[j*ldb+p]: stored row j holds all kc steps of column j.
	packTransposed(kn, b[jc*ldb+pc:], ldb, kc, nc, kn.nr, 1, dst)
}

// packPanels packs a kc×width block whose rows are contiguous (src[p*lds+j])
// into consecutive w-wide panels, element (p, j) of panel q at
// dst[q*w*kc+p*w+j-q*w], scaled by alpha; columns past width are zeroed.
// This is op(B) without transposition and op(A) with it. Full panels are
// filled packRowBlock rows at a time across all panels, so the source is
// read as a few sequential streams that use whole cache lines, rather than
// kc rows far apart (which also alias in L1 when lds is a power of two).
func packPanels(kn *microKernel, src []float32, lds, kc, width, w int, alpha float32, dst []float32) {
	full := width / w * w
	if w%8 == 0 {
		for p0 := 0; p0 < kc; p0 += packRowBlock {
			rows := min(packRowBlock, kc-p0)
			for j := 0; j < full; j += w {
				copyRows(kn, rows, src[p0*lds+j:], lds, dst[j*kc+p0*w:], w, alpha)
			}
		}
	} else {
		for j := 0; j < full; j += w {
			packPartial(src[j:], lds, kc, w, w, alpha, dst[j*kc:(j+w)*kc])
		}
	}
	if full < width {
		packPartial(src[full:], lds, kc, width-full, w, alpha, dst[full*kc:(full+w)*kc])
	}
}

// packTransposed packs a kc×width block stored transposed (element (p, j)
// at src[j*lds+p]) into consecutive w-wide panels laid out as in
// packPanels, scaled by alpha. Groups of 8 columns go through the 8×8
// transpose kernel; the rest is scattered element by element.
func packTransposed(kn *microKernel, src []float32, lds, kc, width, w int, alpha float32, dst []float32) {
	blocks := kc / 8
	for jr := 0; jr < width; jr += w {
		cols := min(w, width-jr)
		d := dst[jr*kc : (jr+w)*kc]
		j0 := 0
		for ; j0+8 <= cols; j0 += 8 {
			s := src[(jr+j0)*lds:]
			transpose8(kn, blocks, s, lds, d[j0:], w, alpha)
			for p := blocks * 8; p < kc; p++ {
				for j := 0; j < 8; j++ {
					d[p*w+j0+j] = alpha * s[j*lds+p]
				}
			}
		}
		for j := j0; j < cols; j++ {
			s := src[(jr+j)*lds:]
			s = s[:kc]
			for p, v := range s {
				d[p*w+j] = alpha * v
			}
		}
		if cols < w {
			for p := 0; p < kc; p++ {
				clear(d[p*w+cols : p*w+w])
			}
		}
	}
}

// packPartial packs one panel of cols <= w columns in pure Go, zeroing the
// columns past cols.
func packPartial(src []float32, lds, kc, cols, w int, alpha float32, d []float32) {
	for p := 0; p < kc; p++ {
		dp := d[p*w : p*w+w]
		s := src[p*lds : p*lds+cols]
		for j, v := range s {
			dp[j] = alpha * v
		}
		clear(dp[cols:])
	}
}

// packRowBlock is how many rows packPanels copies into one panel before
// moving to the next panel.
const packRowBlock = 16

// copyRows copies kc rows of nr floats (source stride lds), scaled by
// alpha, to dst with stride nr through kn's row-copy kernel, after checking
// bounds.
func copyRows(kn *microKernel, kc int, src []float32, lds int, dst []float32, nr int, alpha float32) {
	if kc == 0 {
		return
	}
	_ = src[(kc-1)*lds+nr-1]
	_ = dst[kc*nr-1]
	kn.copyRows(kc, src, lds, dst, nr, alpha)
}

// transpose8 runs kn's 8×8 transpose kernel after checking that src and dst
// hold every element it touches (the assembly does no bounds checks).
func transpose8(kn *microKernel, blocks int, src []float32, lds int, dst []float32, ldd int, alpha float32) {
	if blocks == 0 {
		return
	}
	_ = src[7*lds+8*blocks-1]
	_ = dst[(8*blocks-1)*ldd+7]
	kn.tr8(blocks, src, lds, dst, ldd, alpha)
}
