package gemm

import (
	"fmt"
	"runtime"
)

// parallelMinWork is the smallest problem (in multiply-adds m·n·k) that
// Sgemm splits across goroutines. Measured on the 2-core EPYC: 64³ takes
// 5.7 µs on one core and 5.1 µs on two, 48³ 3.7 µs on one and 4.7 µs on
// two (the hand-off to a helper and the duplicated packing cost ~1-2 µs).
const parallelMinWork = 64 * 64 * 64

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(X) is X or Xᵀ as transA/transB say. op(A) is m×k, op(B) is k×n,
// C is m×n. When beta == 0, C is not read (NaNs in C do not propagate).
//
// The micro-kernel is TileKernelFor(m)'s: the fastest one, unless another
// pads m to markedly fewer rows. Large products are split across
// runtime.GOMAXPROCS goroutines; small ones
// run on the calling goroutine. Sgemm panics with a "gemm: ..." message when
// a dimension is negative, a leading dimension is too small or a slice is too
// short for the shape it describes.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(TileKernelFor(m).kn, runtime.GOMAXPROCS(0), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that
// already run one product per core (for example one per batch item).
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(TileKernelFor(m).kn, 1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkArgs panics unless every slice holds the matrix its shape and leading
// dimension describe. The assembly kernels do no bounds checks, so this is
// what keeps a bad call from writing outside c.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	checkMat("A", transA, m, k, a, lda)
	checkMat("B", transB, k, n, b, ldb)
	checkMat("C", false, m, n, c, ldc)
}

// checkMat checks one operand: op(X) is rows×cols, stored row-major (or
// transposed, cols×rows) with leading dimension ld.
func checkMat(name string, trans bool, rows, cols int, x []float32, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("gemm: leading dimension of %s is %d, want >= %d", name, ld, max(cols, 1)))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("gemm: %s has %d elements, want >= %d for %dx%d with leading dimension %d", name, len(x), need, rows, cols, ld))
	}
}

// sgemm runs the product with kernel kn on up to threads goroutines. The
// arguments have been checked.
func sgemm(kn *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if threads > 1 && m*n*k >= parallelMinWork {
		if parallelSgemm(kn, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
			return
		}
	}
	serialSgemm(kn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// parallelSgemm splits C into column (or row) strips, one per goroutine,
// along whichever dimension has more micro-tiles, and runs the serial
// algorithm on each. Every worker packs its own operands: the duplicated
// packing of the unsplit operand costs O(k·m) (or O(k·n)) per worker against
// O(m·n·k/threads) arithmetic (about 3% of a 1024³ product), and in exchange
// there is no synchronisation at all. A BLIS-style variant sharing one
// packed B block between goroutines, with a barrier per block and dynamic
// work distribution, was tried on the 2-core EPYC (while other jobs loaded
// it) and gave no measurable gain. Strips run on polling helper goroutines
// (see runParallel). It returns false when the problem is too narrow to split.
func parallelSgemm(kn *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) bool {
	tilesN := (n + kn.nr - 1) / kn.nr
	tilesM := (m + kn.mr - 1) / kn.mr
	splitN := tilesN >= tilesM
	tiles, unit := tilesM, kn.mr
	if splitN {
		tiles, unit = tilesN, kn.nr
	}
	if tiles < 2 {
		return false
	}
	threads = min(threads, tiles)
	strip := func(lo, hi int) {
		if splitN {
			bOff := lo // column lo of op(B)
			if transB {
				bOff = lo * ldb
			}
			serialSgemm(kn, transA, transB, m, hi-lo, k, alpha, a, lda, b[bOff:], ldb, beta, c[lo:], ldc)
			return
		}
		aOff := lo * lda // row lo of op(A)
		if transA {
			aOff = lo
		}
		serialSgemm(kn, transA, transB, hi-lo, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
	}
	limit := m
	if splitN {
		limit = n
	}
	runParallel(threads, func(t int) {
		lo := tiles * t / threads * unit
		hi := min(tiles*(t+1)/threads*unit, limit)
		strip(lo, hi)
	})
	return true
}

// serialSgemm is the GotoBLAS/BLIS loop nest on one goroutine:
//
//	for jc (nc columns of C)            B block kc×nc packed once, lives in L2/L3
//	  for pc (kc of the k dimension)
//	    for ic (mc rows of C)           A block mc×kc packed, lives in L2
//	      for jr (nr columns)           B micro-panel kc×nr stays in L1
//	        for ir (mr rows)            micro-kernel: mr×nr tile in registers
//
// alpha is folded into the packed A; beta is applied by the kernel on the
// first pc block only (later blocks accumulate with beta = 1).
func serialSgemm(kn *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := kn.mr, kn.nr
	// Split each dimension into equal blocks no larger than the tuned
	// sizes: k = 576 becomes 3×192 rather than 256+256+64, whose last block
	// would read and write all of C for a quarter of the work.
	mcMax := blockSize(m, kn.mc, mr)
	kcMax := blockSize(k, kn.kc, 8)
	ncMax := blockSize(n, kn.nc, nr)
	bufs := kn.getBufs(roundUp(min(mcMax, m), mr)*kcMax, roundUp(min(ncMax, n), nr)*kcMax)
	defer kn.pool.Put(bufs)
	tile := bufs.tile[:mr*nr]
	for jc := 0; jc < n; jc += ncMax {
		nc := min(ncMax, n-jc)
		for pc := 0; pc < k; pc += kcMax {
			kc := min(kcMax, k-pc)
			bp := bufs.b[:roundUp(nc, nr)*kc]
			packB(kn, transB, b, ldb, pc, jc, kc, nc, bp)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			for ic := 0; ic < m; ic += mcMax {
				mc := min(mcMax, m-ic)
				ap := bufs.a[:roundUp(mc, mr)*kc]
				packA(kn, transA, a, lda, ic, pc, mc, kc, alpha, ap)
				macroKernel(kn, kc, ap, mc, bp, nc, bt, c[ic*ldc+jc:], ldc, tile)
			}
		}
	}
}

// macroKernel multiplies the packed mc×kc block ap by the packed kc×nc
// block bp into the mc×nc block of C that starts at c[0]. tile is scratch
// for partial tiles.
func macroKernel(kn *microKernel, kc int, ap []float32, mc int, bp []float32, nc int, beta float32, c []float32, ldc int, tile []float32) {
	mr, nr := kn.mr, kn.nr
	for jr := 0; jr < nc; jr += nr {
		bPanel := bp[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		for ir := 0; ir < mc; ir += mr {
			aPanel := ap[ir*kc : (ir+mr)*kc]
			rows := min(mr, mc-ir)
			cOff := ir*ldc + jr
			if rows == mr && cols == nr {
				kn.fn(kc, aPanel, bPanel, c[cOff:], ldc, beta)
				continue
			}
			// Partial tile: compute the whole zero-padded tile into
			// scratch, then merge the valid part.
			kn.fn(kc, aPanel, bPanel, tile, nr, 0)
			mergeTile(rows, cols, tile, nr, beta, c[cOff:], ldc)
		}
	}
}

// blockSize returns the size of the blocks that split total into
// ceil(total/maxBlock) nearly equal parts, rounded up to a multiple of unit
// but never above maxBlock (a multiple of unit itself, or total is small).
func blockSize(total, maxBlock, unit int) int {
	nb := (total + maxBlock - 1) / maxBlock
	return min(maxBlock, roundUp((total+nb-1)/nb, unit))
}

// mergeTile sets c = t + beta·c on a rows×cols block (c not read if beta == 0).
func mergeTile(rows, cols int, t []float32, ldt int, beta float32, c []float32, ldc int) {
	for i := 0; i < rows; i++ {
		ci := c[i*ldc : i*ldc+cols]
		ti := t[i*ldt : i*ldt+cols]
		if beta == 0 {
			copy(ci, ti)
			continue
		}
		for j := range ci {
			ci[j] = ti[j] + beta*ci[j]
		}
	}
}

// scaleC sets C = beta·C (C not read if beta == 0), the whole product when
// k == 0 or alpha == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(ci)
		case 1:
		default:
			for j := range ci {
				ci[j] *= beta
			}
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }
