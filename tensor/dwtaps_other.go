//go:build !amd64 || noasm

package tensor

func dwTapsRows(dst []float32, n, ldd, rows int, srcs [][]float32, lds int, wts []float32, bias float32) {
	dwTapsRowsGeneric(dst, n, ldd, rows, srcs, lds, wts, bias)
}
