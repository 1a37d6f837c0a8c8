package ood

import "math"

// Cephes single-precision constants shared by the Go kernels and, as
// broadcast vectors, by the assembly kernels (see jsConsts).
const (
	expLo   = -87.33654 // exp(expLo) is the smallest normal float32
	log2e   = 1.44269504088896341
	lnC1    = 0.693359375    // ln 2 split in two parts for exact range reduction
	lnC2    = -2.12194440e-4 // ln 2 = lnC1 + lnC2 (to float32 accuracy)
	sqrthf  = 0.707106781186547524
	expP0   = 1.9875691500e-4
	expP1   = 1.3981999507e-3
	expP2   = 8.3334519073e-3
	expP3   = 4.1665795894e-2
	expP4   = 1.6666665459e-1
	expP5   = 5.0000001201e-1
	logP0   = 7.0376836292e-2
	logP1   = -1.1514610310e-1
	logP2   = 1.1676998740e-1
	logP3   = -1.2420140846e-1
	logP4   = 1.4249322787e-1
	logP5   = -1.6668057665e-1
	logP6   = 2.0000714765e-1
	logP7   = -2.4999993993e-1
	logP8   = 3.3333331174e-1
	ln2f64  = 0.693147180559945309417232121458176568
	twoLn2f = float32(2 * ln2f64)
)

// exp32 is Cephes expf for x <= 88 (inputs below expLo are clamped, giving
// about 1.2e-38 instead of a denormal or zero). It is the scalar twin of the
// EXP macro in js_amd64.s: same steps, same constants.
func exp32(x float32) float32 {
	x = max(x, expLo)
	t := x*log2e + 0.5
	n := float32(int32(t)) // floor, as VROUNDPS $1: truncate, then fix negatives
	if n > t {
		n--
	}
	x -= n * lnC1
	x -= n * lnC2
	y := float32(expP0)
	y = y*x + expP1
	y = y*x + expP2
	y = y*x + expP3
	y = y*x + expP4
	y = y*x + expP5
	y = y*(x*x) + x + 1
	return y * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// log32 is Cephes logf for normal positive x, the scalar twin of the LOG
// macro in js_amd64.s.
func log32(x float32) float32 {
	b := math.Float32bits(x)
	e := float32(int32(b>>23) - 126)
	m := math.Float32frombits(b&0x007fffff | 0x3f000000) // in [0.5, 1)
	if m < sqrthf {
		e--
		m = m + m - 1
	} else {
		m--
	}
	z := m * m
	y := float32(logP0)
	y = y*m + logP1
	y = y*m + logP2
	y = y*m + logP3
	y = y*m + logP4
	y = y*m + logP5
	y = y*m + logP6
	y = y*m + logP7
	y = y*m + logP8
	y = y * m * z
	y += e * lnC2
	y += -0.5 * z
	m += y
	return m + e*lnC1
}
