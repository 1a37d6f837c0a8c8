//go:build amd64 && !noasm

package tensor

// gatherRowsAVX2 is gatherRowsGeneric for n a multiple of 8, eight floats
// per AVX2 move:
//
//	for i, o := range offs {
//		for j := 0; j < n; j++ {
//			dst[i*ldd+j] = src[int(o)+j]
//		}
//	}
//
// It does no bounds checks (gatherRows does them).
//
//go:noescape
func gatherRowsAVX2(dst []float32, ldd int, src []float32, offs []int32, n int)

// gatherRowsVec copies the first n&^7 floats of every row with the AVX2
// kernel and returns how many it copied.
func gatherRowsVec(dst []float32, ldd int, src []float32, offs []int32, n int) int {
	n8 := n &^ 7
	if !hasAVX2 || n8 == 0 {
		return 0
	}
	gatherRowsAVX2(dst, ldd, src, offs, n8)
	return n8
}
