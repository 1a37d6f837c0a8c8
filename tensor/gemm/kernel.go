package gemm

import (
	"sync"
	"unsafe"
)

// A kernelFunc computes one mr×nr tile of C from packed panels:
//
//	C[i*ldc+j] = Σ_p a[p*mr+i]·b[p*nr+j] + beta·C[i*ldc+j]   (C not read if beta == 0)
//
// for p < kc, i < mr, j < nr. a holds kc·mr and b kc·nr elements; c must
// hold (mr-1)·ldc+nr elements. Assembly kernels do not check this: the
// driver guarantees it.
type kernelFunc func(kc int, a, b, c []float32, ldc int, beta float32)

// A transposeFunc transposes an 8×(8·blocks) strip and scales it:
//
//	dst[p*ldd+i] = alpha · src[i*lds+p]   for i < 8, p < 8·blocks
//
// Assembly versions do not check bounds: the caller does.
type transposeFunc func(blocks int, src []float32, lds int, dst []float32, ldd int, alpha float32)

// A copyFunc copies kc rows of nr floats from src (row stride lds) to the
// contiguous dst, scaling them:
//
//	dst[p*nr+j] = alpha · src[p*lds+j]   for p < kc, j < nr
//
// Assembly versions need nr to be a multiple of 8 and do not check bounds.
type copyFunc func(kc int, src []float32, lds int, dst []float32, nr int, alpha float32)

// A microKernel is a register-blocked kernel with the cache-block sizes
// tuned for it: mc×kc of packed A is meant to stay in L2, kc×nr of packed B
// in L1, and kc×nc of packed B in L2/L3.
type microKernel struct {
	name       string
	mr, nr     int
	mc, kc, nc int // multiples of mr, -, nr
	fn         kernelFunc
	tr8        transposeFunc // 8×8 block transpose used by packing
	copyRows   copyFunc      // strided row copy used by packing
	pool       sync.Pool     // *packBufs
}

// packBufs is one goroutine's scratch: packed A block, packed B block and a
// tile for partial edges.
type packBufs struct {
	a, b, tile []float32
}

// getBufs returns scratch buffers from kn's pool with room for aSize
// packed A and bSize packed B elements. Buffers grow to the largest request
// seen; sizing them to the problem (not to mc·kc and kc·nc) keeps small
// products from allocating megabytes whenever a GC has emptied the pool.
func (kn *microKernel) getBufs(aSize, bSize int) *packBufs {
	p, _ := kn.pool.Get().(*packBufs)
	if p == nil {
		p = &packBufs{tile: alignedFloats(kn.mr * kn.nr)}
	}
	if len(p.a) < aSize {
		p.a = alignedFloats(aSize)
	}
	if len(p.b) < bSize {
		p.b = alignedFloats(bSize)
	}
	return p
}

// alignedFloats returns n float32s starting on a 64-byte (cache line)
// boundary, so packed panels never split a vector load across lines.
func alignedFloats(n int) []float32 {
	const align = 64 / 4
	s := make([]float32, n+align)
	off := int(uintptr(unsafe.Pointer(&s[0])) % 64 / 4)
	if off != 0 {
		off = align - off
	}
	return s[off : off+n : off+n]
}
