package tensor

// gatherRowsGeneric is the reference loop of gatherRows (and of
// gatherRowsAVX2): row i of dst receives src[offs[i] : offs[i]+n].
func gatherRowsGeneric(dst []float32, ldd int, src []float32, offs []int32, n int) {
	for i, o := range offs {
		copy(dst[i*ldd:i*ldd+n], src[int(o):int(o)+n])
	}
}
