//go:build amd64 && !noasm

package tensor

import "golang.org/x/sys/cpu"

// dwTapsAVX512 is dwTapsGeneric sixteen columns at a time with fused
// multiply-adds; a masked step handles the last len(dst) % 16 columns.
//
//go:noescape
func dwTapsAVX512(dst []float32, srcs [][]float32, wts []float32, bias float32)

func dwTaps(dst []float32, srcs [][]float32, wts []float32, bias float32) {
	if !hasAVX512 || len(srcs) == 0 || len(dst) == 0 {
		dwTapsGeneric(dst, srcs, wts, bias)
		return
	}
	_ = wts[len(srcs)-1]
	for _, s := range srcs {
		_ = s[len(dst)-1] // the kernel reads len(dst) values of every tap
	}
	dwTapsAVX512(dst, srcs, wts, bias)
}

var hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F
