//go:build !amd64 || noasm

package tensor

// expSlice sets dst[i] = eˢʳᶜ⁽ⁱ⁾ for every element of src.
func expSlice(dst, src []float32) { expSliceGeneric(dst, src) }
