//go:build amd64 && !noasm

package tensor

import "golang.org/x/sys/cpu"

// dwTapsRowsAVX512 is dwTapsRowsGeneric sixteen columns at a time with
// fused multiply-adds; a masked step handles the last n % 16 columns of
// each row.
//
//go:noescape
func dwTapsRowsAVX512(dst []float32, n, ldd, rows int, srcs [][]float32, lds int, wts []float32, bias float32)

func dwTapsRows(dst []float32, n, ldd, rows int, srcs [][]float32, lds int, wts []float32, bias float32) {
	if !hasAVX512 || len(srcs) == 0 || n <= 0 || rows <= 0 {
		dwTapsRowsGeneric(dst, n, ldd, rows, srcs, lds, wts, bias)
		return
	}
	_ = wts[len(srcs)-1]
	_ = dst[(rows-1)*ldd+n-1]
	last := (rows-1)*lds + n - 1 // the kernel reads up to here in every tap
	for _, s := range srcs {
		_ = s[last]
	}
	dwTapsRowsAVX512(dst, n, ldd, rows, srcs, lds, wts, bias)
}

var hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
