package gemm

// Hooks for the external gemm_test package.

// SgemmGeneric is Sgemm with the pure-Go micro-kernel, on threads goroutines.
func SgemmGeneric(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(genericKernel, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Kernel describes one micro-kernel for tests.
type Kernel struct {
	Name   string
	MR, NR int
	// Run computes one full tile from packed panels (see kernelFunc).
	Run func(kc int, a, b, c []float32, ldc int, beta float32)
	// Transpose8 and CopyRows are the packing helpers the kernel uses (see
	// transposeFunc and copyFunc).
	Transpose8 func(blocks int, src []float32, lds int, dst []float32, ldd int, alpha float32)
	CopyRows   func(kc int, src []float32, lds int, dst []float32, nr int, alpha float32)
	// Sgemm is the whole product driven by this kernel. With threads > 1
	// it takes the parallel path whenever the shape allows, ignoring the
	// size threshold, so small tests exercise it.
	Sgemm func(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// Kernels returns every kernel usable on this machine.
func Kernels() []Kernel {
	var ks []Kernel
	for _, kn := range kernels() {
		ks = append(ks, Kernel{
			Name: kn.name, MR: kn.mr, NR: kn.nr, Run: kn.fn, Transpose8: kn.tr8, CopyRows: kn.copyRows,
			Sgemm: func(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
				forceParallel(kn, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			},
		})
	}
	return ks
}

// KernelGeneric is the reference tile loop the assembly kernels implement.
var KernelGeneric = kernelGeneric

// Transpose8Generic and CopyRowsGeneric are the reference packing loops.
var (
	Transpose8Generic = transpose8Generic
	CopyRowsGeneric   = copyRowsGeneric
)

// DefaultKernelName names the kernel Sgemm uses on this machine.
func DefaultKernelName() string { return defaultKernel().name }

// SmallBlockKernels returns every kernel of Kernels with tiny cache blocks
// (mc = 2·mr, kc = 5, nc = 3·nr), so small tests cross every block boundary
// of the loop nest.
func SmallBlockKernels() []Kernel {
	var ks []Kernel
	for _, kn := range kernels() {
		small := &microKernel{name: kn.name + "/small-blocks", mr: kn.mr, nr: kn.nr, mc: 2 * kn.mr, kc: 5, nc: 3 * kn.nr, fn: kn.fn, tr8: kn.tr8, copyRows: kn.copyRows}
		ks = append(ks, Kernel{
			Name: small.name, MR: small.mr, NR: small.nr, Run: small.fn,
			Sgemm: func(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
				forceParallel(small, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			},
		})
	}
	return ks
}

// forceParallel is sgemm without the size threshold for going parallel.
func forceParallel(kn *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if threads > 1 && m > 0 && n > 0 && k > 0 && alpha != 0 &&
		parallelSgemm(kn, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) {
		return
	}
	sgemm(kn, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// TileKernels returns a TileKernel for every kernel usable on this
// machine, so tests cover each one, not only TileKernelFor's choice.
func TileKernels() []TileKernel {
	var ts []TileKernel
	for _, kn := range kernels() {
		ts = append(ts, TileKernel{kn})
	}
	return ts
}
