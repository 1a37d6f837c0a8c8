//go:build !amd64 || noasm

package tensor

// gatherRowsVec is the hook for a vector gather; this build has none.
func gatherRowsVec(dst []float32, ldd int, src []float32, offs []int32, n int) int { return 0 }
