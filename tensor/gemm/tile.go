package gemm

import "fmt"

// TileKernel exposes one register-blocked micro-kernel to callers that
// build the B operand themselves, already in the kernel's panel format. An
// implicit-GEMM convolution, for example, gathers each kc×NR panel of the
// im2col matrix straight from the image into L1 and multiplies it at once,
// instead of writing the whole im2col matrix to memory and having Sgemm
// read it back to pack it (two extra passes over a matrix K times larger
// than the image).
//
// The panel formats are those of Sgemm's packed blocks: an A panel holds
// MR rows × kc steps with element (i, p) at p·MR+i (PackA writes them); a B
// panel holds kc steps × NR columns with element (p, j) at p·NR+j.
type TileKernel struct{ kn *microKernel }

// TileKernelFor returns the kernel best suited to products whose op(A) has
// m rows: the fastest kernel of this machine, unless another one pads m to
// markedly fewer rows (for example m = 10 computes 16 rows with an 8-row
// kernel but 12 with a 6-row one).
func TileKernelFor(m int) TileKernel {
	ks := kernels()
	best := ks[0]
	for _, kn := range ks[1:] {
		// Assembly kernels run at comparable FLOP rates per core; prefer a
		// later one only when it saves at least a sixth of the rows.
		if kn != genericKernel && 6*roundUp(m, kn.mr) <= 5*roundUp(m, best.mr) {
			best = kn
		}
	}
	return TileKernel{best}
}

// MR is the number of rows of C one tile covers.
func (t TileKernel) MR() int { return t.kn.mr }

// NR is the number of columns of C one tile covers (the B panel width).
func (t TileKernel) NR() int { return t.kn.nr }

// KC is the tuned depth of one panel: a kc×NR B panel of about this depth
// stays in L1 while the A panels stream past it.
func (t TileKernel) KC() int { return t.kn.kc }

// Name identifies the kernel ("avx512-8x32", …) for benchmarks and logs.
func (t TileKernel) Name() string { return t.kn.name }

// PackA writes alpha·op(A)[i0:i0+mc, p0:p0+kc] into dst as ⌈mc/MR⌉
// consecutive A panels of MR·kc floats (panel q holds rows i0+q·MR …),
// zero-padding the rows past mc. op(A) is A (row-major, leading dimension
// lda) or Aᵀ when transA is set. It panics with a "gemm: ..." message when
// a or dst is too short.
func (t TileKernel) PackA(transA bool, a []float32, lda, i0, p0, mc, kc int, alpha float32, dst []float32) {
	if i0 < 0 || p0 < 0 || mc < 0 || kc < 0 {
		panic(fmt.Sprintf("gemm: PackA with negative offset or size i0=%d p0=%d mc=%d kc=%d", i0, p0, mc, kc))
	}
	if mc == 0 || kc == 0 {
		return
	}
	checkMat("A", transA, i0+mc, p0+kc, a, lda)
	if need := roundUp(mc, t.kn.mr) * kc; len(dst) < need {
		panic(fmt.Sprintf("gemm: PackA destination has %d elements, want >= %d", len(dst), need))
	}
	packA(t.kn, transA, a, lda, i0, p0, mc, kc, alpha, dst)
}

// Tile computes C = A·B + beta·C on the top-left rows×cols corner of one
// MR×NR tile, from an A panel a (MR·kc floats) and a B panel b (kc·NR
// floats); C starts at c[0] with leading dimension ldc and is not read when
// beta == 0. Full tiles are written in place by the micro-kernel; partial
// ones are computed into scratch (at least MR·NR floats) and merged, so
// padding rows and columns of the panels (whatever they hold) never reach
// C. It panics with a "gemm: ..." message on a size mismatch.
func (t TileKernel) Tile(kc int, a, b []float32, rows, cols int, beta float32, c []float32, ldc int, scratch []float32) {
	mr, nr := t.kn.mr, t.kn.nr
	if kc < 1 || rows < 1 || rows > mr || cols < 1 || cols > nr {
		panic(fmt.Sprintf("gemm: Tile of %dx%d (depth %d) with a %dx%d kernel", rows, cols, kc, mr, nr))
	}
	if len(a) < mr*kc || len(b) < nr*kc {
		panic(fmt.Sprintf("gemm: Tile panels have %d and %d elements, want >= %d and %d", len(a), len(b), mr*kc, nr*kc))
	}
	checkMat("C", false, rows, cols, c, ldc)
	if rows == mr && cols == nr {
		t.kn.fn(kc, a, b, c, ldc, beta)
		return
	}
	if len(scratch) < mr*nr {
		panic(fmt.Sprintf("gemm: Tile scratch has %d elements, want >= %d", len(scratch), mr*nr))
	}
	t.kn.fn(kc, a, b, scratch, nr, 0)
	mergeTile(rows, cols, scratch, nr, beta, c, ldc)
}
