//go:build !amd64 || noasm

package tensor

// logSlice sets dst[i] = log(src[i]) for every element of src.
func logSlice(dst, src []float32) { logSliceGeneric(dst, src) }
