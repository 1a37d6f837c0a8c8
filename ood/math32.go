package ood

import (
	"math"

	"github.com/nflowjs/nflowjs/internal/cephes"
)

// The Cephes constants (package internal/cephes) are shared by the Go
// kernels and, as broadcast vectors, by the assembly kernels (see jsConsts).
const (
	expLo   = -87.33654 // exp(expLo) is the smallest normal float32
	ln2f64  = 0.693147180559945309417232121458176568
	twoLn2f = float32(2 * ln2f64)
)

// exp32 is Cephes expf for x <= 88 (inputs below expLo are clamped, giving
// about 1.2e-38 instead of a denormal or zero). It is the scalar twin of the
// EXP macro in js_amd64.s: same steps, same constants.
func exp32(x float32) float32 {
	x = max(x, expLo)
	t := x*cephes.Log2e + 0.5
	n := float32(int32(t)) // floor, as VROUNDPS $1: truncate, then fix negatives
	if n > t {
		n--
	}
	x -= n * cephes.LnC1
	x -= n * cephes.LnC2
	y := cephes.ExpCore(x)
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// log32 is Cephes logf for normal positive x, the scalar twin of the LOG
// macro in js_amd64.s.
func log32(x float32) float32 {
	b := math.Float32bits(x)
	e := float32(int32(b>>23) - 126)
	m := math.Float32frombits(b&0x007fffff | 0x3f000000) // in [0.5, 1)
	if m < cephes.SqrtHalf {
		e--
		m = m + m - 1
	} else {
		m--
	}
	return cephes.LogCore(m, e)
}
