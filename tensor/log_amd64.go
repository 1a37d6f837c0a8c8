//go:build amd64 && !noasm

package tensor

// logAVX2 is logSliceGeneric for the first len(src) &^ 7 elements, eight at
// a time, with the same float32 operations in the same order (no fused
// multiply-adds), so the results are identical:
//
//	for i := range src[:len(src)&^7] {
//		dst[i] = logf(src[i])
//	}
//
// len(dst) >= len(src) is the caller's job.
//
//go:noescape
func logAVX2(dst, src []float32)

// logSlice sets dst[i] = log(src[i]) for every element of src.
func logSlice(dst, src []float32) {
	dst = dst[:len(src)]
	n := 0
	if hasAVX2 && len(src) >= 8 {
		logAVX2(dst, src)
		n = len(src) &^ 7
	}
	logSliceGeneric(dst[n:], src[n:])
}
