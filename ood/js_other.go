//go:build !amd64 || noasm

package ood

const useAVX2 = false

// jsRange is the kernel entry; without assembly it is the Go loop.
func jsRange(dst, src []float32, stride, k, n int, invT, sign float32) {
	jsGeneric(dst, src, stride, k, n, invT, sign)
}

type jsConsts struct{}

func statsConsts(int, float32) *jsConsts { return nil }

// blockStatsFast is blockStats; there is no assembly kernel in this build.
func blockStatsFast(st *softmaxStats, src []float32, stride, k, w int, invT float32, withExp bool, _ *jsConsts) {
	blockStats(st, src, stride, k, w, invT, withExp)
}
