//go:build !amd64 || noasm

package tensor

// winoInputVec is the hook for a vector input transform; this build has none.
func winoInputVec(v []float32, vs int, ev, od []float32, ld, n int) int { return 0 }

// winoOutputVec is the hook for a vector output transform; this build has none.
func winoOutputVec(dst []float32, ld, rows, x0 int, m []float32, ms, n int, bias float32) int {
	return 0
}
