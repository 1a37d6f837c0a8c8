// Package cephes holds the single-precision exp and log polynomials of the
// Cephes library (S. L. Moshier) that tensor's and ood's float32 kernels
// share: the constants, which the assembly kernels also broadcast, and the
// scalar cores after range reduction. Each package keeps its own handling
// of the edges (tensor: exact ±Inf, 0 and subnormals; ood: the clamped
// range its assembly twin uses), so their results stay bit-identical to
// their vector kernels.
package cephes

// Constants of expf: x = n·ln2 + r with ln 2 = LnC1 + LnC2 (LnC1 exact in
// float32), e^r by a degree-5 minimax polynomial on |r| <= ln2/2.
const (
	Log2e = 1.44269504088896341
	LnC1  = 0.693359375
	LnC2  = -2.12194440e-4
	ExpP0 = 1.9875691500e-4
	ExpP1 = 1.3981999507e-3
	ExpP2 = 8.3334519073e-3
	ExpP3 = 4.1665795894e-2
	ExpP4 = 1.6666665459e-1
	ExpP5 = 5.0000001201e-1
)

// Constants of logf: x = 2ᵉ·(1+m) with 1+m ∈ [√½, √2), log(1+m) by a
// degree-8 minimax polynomial.
const (
	SqrtHalf = 0.707106781186547524
	LogP0    = 7.0376836292e-2
	LogP1    = -1.1514610310e-1
	LogP2    = 1.1676998740e-1
	LogP3    = -1.2420140846e-1
	LogP4    = 1.4249322787e-1
	LogP5    = -1.6668057665e-1
	LogP6    = 2.0000714765e-1
	LogP7    = -2.4999993993e-1
	LogP8    = 3.3333331174e-1
)

// ExpCore returns e^r for the reduced argument r (|r| <= ln2/2), before
// the scaling by 2ⁿ.
func ExpCore(r float32) float32 {
	p := float32(ExpP0)
	p = p*r + ExpP1
	p = p*r + ExpP2
	p = p*r + ExpP3
	p = p*r + ExpP4
	p = p*r + ExpP5
	return p*(r*r) + r + 1
}

// LogCore returns e·ln2 + log(1+m) for the reduced mantissa m
// (1+m ∈ [√½, √2)) and exponent e.
func LogCore(m, e float32) float32 {
	z := m * m
	y := float32(LogP0)
	y = y*m + LogP1
	y = y*m + LogP2
	y = y*m + LogP3
	y = y*m + LogP4
	y = y*m + LogP5
	y = y*m + LogP6
	y = y*m + LogP7
	y = y*m + LogP8
	y = y * m * z
	y += e * LnC2
	y += -0.5 * z
	m += y
	return m + e*LnC1
}
