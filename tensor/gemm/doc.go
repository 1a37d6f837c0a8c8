// Package gemm is nflowjs's single-precision general matrix multiply,
// C = alpha·op(A)·op(B) + beta·C, the kernel under conv2d, its gradients and
// every linear layer.
//
// # Layout
//
// All matrices are row-major float32 slices with a leading dimension (the
// distance in elements between the starts of consecutive rows, at least the
// row length). op(X) is X or Xᵀ as the transA/transB flags say; a
// transposed operand is read in place, never copied by the caller.
//
// # Algorithm
//
// Sgemm follows GotoBLAS/BLIS: op(B) is packed kc×nc at a time into panels
// nr columns wide, op(A) mc×kc at a time into panels mr rows high (alpha is
// folded in here), and a register-blocked micro-kernel multiplies one A
// panel by one B panel into an mr×nr tile of C. The block sizes keep a B
// micro-panel near L1 and the packed A block in L2. Partial tiles at the
// right and bottom edges are computed into a scratch tile and merged.
// Packing buffers come from a sync.Pool. Products of at least 64³
// multiply-adds are split into strips of C, one per runtime.GOMAXPROCS
// goroutine; the strips run on up to GOMAXPROCS-1 long-lived helper
// goroutines that poll for work for 200 µs after each product (so the next
// one starts without waking an idle core) and otherwise sleep. SgemmSerial
// never uses other goroutines.
//
// TileKernel exposes the micro-kernel and the A packing to callers that
// produce B panels themselves (tensor's implicit-GEMM and Winograd
// convolutions), so they can skip materializing and re-packing B.
//
// # Kernels
//
// On amd64 the micro-kernel and the packing copies and 8×8 transposes are
// Go assembly, chosen at run time from the CPU features
// (golang.org/x/sys/cpu): an 8×32 AVX-512 kernel where AVX-512F exists,
// else a 6×16 AVX2+FMA kernel, else pure Go. Sgemm and TileKernelFor pick
// another of them when it pads m to markedly fewer rows: the 10×32 AVX-512
// kernel for m = 10 (a 10-class head, whose weight gradient the 8-row tile
// would compute as 16 rows), the 6×16 one for m ≤ 5. Measured at n = 1024,
// k = 288 on one core: m = 10 129 → 107 µs, m = 5 89 → 66 µs, m = 20
// 178 → 152 µs. Other architectures and the
// noasm build tag use the pure-Go 4×4 kernel. Each assembly routine's doc
// comment gives the Go loop it computes; kernel_generic.go and
// pack_generic.go implement exactly those loops, and the tests check one
// against the other.
//
// # Numerics
//
// Sums are accumulated in float32 in blocks of kc (with fused multiply-adds
// in assembly), so results differ from a float64 reference by at most about
// k·2⁻²⁴·Σ|a·b|, and between kernels by twice that. When beta == 0, C is
// written without being read, so NaNs already in C do not propagate; when
// alpha == 0 or k == 0, A and B are not read.
//
// # Aliasing and errors
//
// C must not overlap A or B. Misuse (negative sizes, a leading dimension
// smaller than its row, a slice too short for its shape) panics with a
// message starting "gemm: "; the assembly never runs on unchecked bounds.
package gemm
