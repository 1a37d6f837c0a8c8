//go:build amd64 && !noasm

package gemm

import "golang.org/x/sys/cpu"

// kernel6x16AVX2 is kernelGeneric(6, 16, kc, a, b, c, ldc, beta) in AVX2/FMA
// assembly: the 6×16 tile lives in twelve ymm registers, each k step loads
// 16 packed B values and broadcasts 6 packed A values:
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var s float32
//			for p := 0; p < kc; p++ {
//				s += a[p*6+i] * b[p*16+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = s
//			} else {
//				c[i*ldc+j] = s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
// (the sum is accumulated with fused multiply-adds). It does no bounds
// checks: len(a) >= 6·kc, len(b) >= 16·kc, len(c) >= 5·ldc+16 are the
// caller's job.
//
//go:noescape
func kernel6x16AVX2(kc int, a, b, c []float32, ldc int, beta float32)

// kernel8x32AVX512 is kernelGeneric(8, 32, kc, a, b, c, ldc, beta) in
// AVX-512 assembly: the 8×32 tile lives in sixteen zmm registers; each k
// step loads 32 packed B values into two registers and multiplies them by
// the 8 packed A values, broadcast from memory by the FMA instructions:
//
//	for i := 0; i < 8; i++ {
//		for j := 0; j < 32; j++ {
//			var s float32
//			for p := 0; p < kc; p++ {
//				s += a[p*8+i] * b[p*32+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = s
//			} else {
//				c[i*ldc+j] = s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
// (accumulated with fused multiply-adds). It does no bounds checks:
// len(a) >= 8·kc, len(b) >= 32·kc, len(c) >= 7·ldc+32 are the caller's job.
//
//go:noescape
func kernel8x32AVX512(kc int, a, b, c []float32, ldc int, beta float32)

// kernel10x32AVX512 is kernelGeneric(10, 32, kc, a, b, c, ldc, beta) in
// AVX-512 assembly, kernel8x32AVX512 with twenty accumulators for ten rows.
// It does no bounds checks: len(a) >= 10·kc, len(b) >= 32·kc,
// len(c) >= 9·ldc+32 are the caller's job.
//
//go:noescape
func kernel10x32AVX512(kc int, a, b, c []float32, ldc int, beta float32)

// avx2Kernel is the classic 6×16 AVX2 tile (twelve accumulators, enough to
// cover the FMA latency on two pipes) with BLIS's Zen block sizes.
var avx2Kernel = &microKernel{
	name: "avx2-6x16",
	mr:   6, nr: 16,
	mc: 144, kc: 256, nc: 4080,
	fn: kernel6x16AVX2, tr8: transpose8AVX, copyRows: copyRowsAVX,
}

// avx512Kernel is the default where AVX-512F exists. On the 2-core AMD
// EPYC (Zen 4, 32 KiB L1d and 1 MiB L2 per core) it was measured against
// 12×32, 14×32, 8×48 and 6×64 tiles: all reach ~100 GFLOP/s per core on
// large products, and 8×32 was best or tied on the conv2d shapes (m = 64 is
// a multiple of 8, and 32 divides the usual widths). With kc = 256 a B
// micro-panel is 32 KiB and an A micro-panel 8 KiB; the packed A block
// (mc×kc, 144 KiB) stays in L2 and the packed B block (kc×nc, 1 MiB) in
// L2/L3. kc from 192 to 320, mc from 96 to 288 and nc from 512 to 4096 all
// measured within noise of each other on 1024³ products.
var avx512Kernel = &microKernel{
	name: "avx512-8x32",
	mr:   8, nr: 32,
	mc: 144, kc: 256, nc: 1024,
	fn: kernel8x32AVX512, tr8: transpose8AVX, copyRows: copyRowsAVX,
}

// avx512x10Kernel is the 10-row AVX-512 tile, chosen by TileKernelFor
// (and so by Sgemm) for row counts such as 10, 19 or 20 (a
// 10-class head would waste 6 of 16 rows with the 8-row tile). 22 of the 32
// zmm registers hold the tile and B.
var avx512x10Kernel = &microKernel{
	name: "avx512-10x32",
	mr:   10, nr: 32,
	mc: 140, kc: 256, nc: 1024,
	fn: kernel10x32AVX512, tr8: transpose8AVX, copyRows: copyRowsAVX,
}

var (
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
)

// defaultKernel picks the fastest kernel this CPU supports.
func defaultKernel() *microKernel {
	if hasAVX512 {
		return avx512Kernel
	}
	if hasAVX2 {
		return avx2Kernel
	}
	return genericKernel
}

// kernels lists the kernels usable on this machine, best first.
func kernels() []*microKernel {
	var ks []*microKernel
	if hasAVX512 {
		ks = append(ks, avx512Kernel, avx512x10Kernel)
	}
	if hasAVX2 {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, genericKernel)
}
