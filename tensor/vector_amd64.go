//go:build amd64 && !noasm

package tensor

import "golang.org/x/sys/cpu"

// AVX2 versions of the generic loops in vector_generic.go, eight
// elements at a time, for the first len(dst) &^ 7 elements; the wrappers
// below do the bounds checks and the tail. They use plain (unfused) vector
// arithmetic, so results equal the Go loops bit for bit.

//go:noescape
func addAVX2(dst, a, b []float32)

//go:noescape
func subAVX2(dst, a, b []float32)

//go:noescape
func mulAVX2(dst, a, b []float32)

//go:noescape
func divAVX2(dst, a, b []float32)

//go:noescape
func scaleAVX2(dst, a []float32, s float32)

//go:noescape
func addScalarAVX2(dst, a []float32, s float32)

//go:noescape
func reluAVX2(dst, a []float32)

//go:noescape
func maxIntoAVX2(m, x []float32)

// vecLen returns how many leading elements of dst the vector kernels handle
// (0 without AVX2), after checking that a and b cover them.
func vecLen(dst, a, b []float32) int {
	if !hasAVX2 || len(dst) < 8 {
		return 0
	}
	_, _ = a[len(dst)-1], b[len(dst)-1]
	return len(dst) &^ 7
}

func addSlice(dst, a, b []float32) {
	n := vecLen(dst, a, b)
	if n > 0 {
		addAVX2(dst, a, b)
	}
	addGeneric(dst[n:], a[n:], b[n:])
}

func subSlice(dst, a, b []float32) {
	n := vecLen(dst, a, b)
	if n > 0 {
		subAVX2(dst, a, b)
	}
	subGeneric(dst[n:], a[n:], b[n:])
}

func mulSlice(dst, a, b []float32) {
	n := vecLen(dst, a, b)
	if n > 0 {
		mulAVX2(dst, a, b)
	}
	mulGeneric(dst[n:], a[n:], b[n:])
}

func divSlice(dst, a, b []float32) {
	n := vecLen(dst, a, b)
	if n > 0 {
		divAVX2(dst, a, b)
	}
	divGeneric(dst[n:], a[n:], b[n:])
}

func scaleSlice(dst, a []float32, s float32) {
	n := vecLen(dst, a, a)
	if n > 0 {
		scaleAVX2(dst, a, s)
	}
	scaleGeneric(dst[n:], a[n:], s)
}

func addScalarSlice(dst, a []float32, s float32) {
	n := vecLen(dst, a, a)
	if n > 0 {
		addScalarAVX2(dst, a, s)
	}
	addScalarGeneric(dst[n:], a[n:], s)
}

func reluSlice(dst, a []float32) {
	n := vecLen(dst, a, a)
	if n > 0 {
		reluAVX2(dst, a)
	}
	reluGeneric(dst[n:], a[n:])
}

func maxInto(m, x []float32) {
	n := vecLen(m, x, x)
	if n > 0 {
		maxIntoAVX2(m, x)
	}
	maxIntoGeneric(m[n:], x[n:])
}

//go:noescape
func deinterleave2AVX2(d0, d1, src []float32)

//go:noescape
func interleaveAdd2AVX2(dst, s0, s1 []float32)

// deinterleave2 sets d0[j] = src[2j], d1[j] = src[2j+1] for j < len(d0).
func deinterleave2(d0, d1, src []float32) {
	n := 0
	if hasAVX2 && len(d0) >= 8 {
		_, _ = d1[len(d0)-1], src[2*len(d0)-1]
		deinterleave2AVX2(d0, d1, src)
		n = len(d0) &^ 7
	}
	deinterleave2Generic(d0[n:], d1[n:], src[2*n:])
}

// interleaveAdd2 adds dst[2j] += s0[j], dst[2j+1] += s1[j] for j < len(s0).
func interleaveAdd2(dst, s0, s1 []float32) {
	n := 0
	if hasAVX2 && len(s0) >= 8 {
		_, _ = s1[len(s0)-1], dst[2*len(s0)-1]
		interleaveAdd2AVX2(dst, s0, s1)
		n = len(s0) &^ 7
	}
	interleaveAdd2Generic(dst[2*n:], s0[n:], s1[n:])
}

// hasAVX2 selects the AVX2 kernels at run time.
var hasAVX2 = cpu.X86.HasAVX2

// axpyAVX2 is axpyGeneric(alpha, x, y[:len(x)]) with 8-wide AVX2 vectors:
//
//	for i := range x {
//		y[i] += alpha * x[i]
//	}
//
// (product and sum rounded separately, so results equal the Go loop bit
// for bit). len(y) >= len(x) is the caller's job.
//
//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

// axpy computes y += alpha·x for len(x) elements (len(y) >= len(x)). It is
// the inner loop of col2im and of the gradient accumulations, so short
// slices (a 32-pixel row) matter as much as long ones.
func axpy(alpha float32, x, y []float32) {
	if hasAVX2 && len(x) >= 8 {
		_ = y[len(x)-1] // bounds check before the unchecked kernel
		axpyAVX2(alpha, x, y)
		return
	}
	axpyGeneric(alpha, x, y)
}

// hardswishAVX2 is hardswishGeneric for the first len(dst) &^ 7 elements,
// with the same operations in the same order (add, max, min, multiply,
// divide), so results are bit-identical.
//
//go:noescape
func hardswishAVX2(dst, a []float32)

func hardswishSlice(dst, a []float32) {
	n := vecLen(dst, a, a)
	if n > 0 {
		hardswishAVX2(dst, a)
	}
	hardswishGeneric(dst[n:], a[n:])
}

// affineAVX2 is affineGeneric for the first len(dst) &^ 7 elements, bit for
// bit (multiply and add rounded separately).
//
//go:noescape
func affineAVX2(dst, a []float32, s, t float32)

func affineSlice(dst, a []float32, s, t float32) {
	n := vecLen(dst, a, a)
	if n > 0 {
		affineAVX2(dst, a, s, t)
	}
	affineGeneric(dst[n:], a[n:], s, t)
}
