//go:build amd64 && !noasm

package gemm

// transpose8AVX is transpose8Generic in AVX assembly: each 8×8 block is
// eight row loads, three shuffle stages and eight scaled column stores:
//
//	for i := 0; i < 8; i++ {
//		for p := 0; p < 8*blocks; p++ {
//			dst[p*ldd+i] = alpha * src[i*lds+p]
//		}
//	}
//
// It does no bounds checks (transpose8 does them).
//
//go:noescape
func transpose8AVX(blocks int, src []float32, lds int, dst []float32, ldd int, alpha float32)

// copyRowsAVX is copyRowsGeneric in AVX assembly, for nr a multiple of 8,
// prefetching the rows eight ahead:
//
//	for p := 0; p < kc; p++ {
//		for j := 0; j < nr; j++ {
//			dst[p*nr+j] = alpha * src[p*lds+j]
//		}
//	}
//
// It does no bounds checks (copyRows does them).
//
//go:noescape
func copyRowsAVX(kc int, src []float32, lds int, dst []float32, nr int, alpha float32)
