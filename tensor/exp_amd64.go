//go:build amd64 && !noasm

package tensor

// expAVX2 is expSlice's loop for the first len(src) &^ 7 elements, eight
// at a time with AVX2, with the same float32 operations in the same order as
// expf (no fused multiply-adds), so the results are identical:
//
//	for i := range src[:len(src)&^7] {
//		dst[i] = expf(src[i])
//	}
//
// len(dst) >= len(src) is the caller's job.
//
//go:noescape
func expAVX2(dst, src []float32)

// expSlice sets dst[i] = eˢʳᶜ⁽ⁱ⁾ for every element of src.
func expSlice(dst, src []float32) {
	dst = dst[:len(src)]
	n := 0
	if hasAVX2 && len(src) >= 8 {
		expAVX2(dst, src)
		n = len(src) &^ 7
	}
	expSliceGeneric(dst[n:], src[n:])
}
