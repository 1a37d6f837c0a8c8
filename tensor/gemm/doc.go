// Package gemm is nflowjs's single-precision general matrix multiply.
//
// All matrices are row-major float32 slices with a leading dimension (the
// distance in elements between the starts of consecutive rows).
package gemm
