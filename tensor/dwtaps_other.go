//go:build !amd64 || noasm

package tensor

func dwTaps(dst []float32, srcs [][]float32, wts []float32, bias float32) {
	dwTapsGeneric(dst, srcs, wts, bias)
}
