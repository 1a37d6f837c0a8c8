package tensor

import "math"

// Constants of the Cephes single-precision logarithm: the minimax
// polynomial for log(1+m) on m ∈ [√½−1, √2−1], and ln 2 split in an exact
// part (logQ2) and a correction (logQ1).
const (
	logSqrtHf = 0.707106781186547524
	logL0     = 7.0376836292e-2
	logL1     = -1.1514610310e-1
	logL2     = 1.1676998740e-1
	logL3     = -1.2420140846e-1
	logL4     = 1.4249322787e-1
	logL5     = -1.6668057665e-1
	logL6     = 2.0000714765e-1
	logL7     = -2.4999993993e-1
	logL8     = 3.3333331174e-1
	logQ1     = -2.12194440e-4
	logQ2     = 0.693359375
)

// logf is the natural logarithm in float32 arithmetic (Cephes logf,
// relative error about 1e-7): x = 2ᵉ·(1+m) with 1+m ∈ [√½, √2), then
// log x = e·ln2 + log(1+m) by a polynomial. Like math.Log it gives −Inf at
// ±0, NaN below 0 and for NaN, +Inf at +Inf; subnormals are exact inputs.
func logf(x float32) float32 {
	switch {
	case x != x || x < 0:
		return float32(math.NaN())
	case x == 0:
		return float32(math.Inf(-1))
	case x > math.MaxFloat32:
		return x
	}
	var eoff int32
	if x < 0x1p-126 { // subnormal: scale into the normal range
		x *= 0x1p23
		eoff = -23
	}
	b := math.Float32bits(x)
	e := int32(b>>23) - 126 + eoff
	m := math.Float32frombits(b&0x807FFFFF | 0x3F000000) // in [½, 1)
	if m < logSqrtHf {
		e--
		m = m + m - 1
	} else {
		m = m - 1
	}
	z := m * m
	y := ((((((((logL0*m+logL1)*m+logL2)*m+logL3)*m+logL4)*m+logL5)*m+logL6)*m+logL7)*m + logL8) * m * z
	fe := float32(e)
	y += logQ1 * fe
	y += -0.5 * z
	r := m + y
	r += logQ2 * fe
	return r
}

// logSliceGeneric sets dst[i] = logf(src[i]): the reference loop of the
// vector kernel.
func logSliceGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = logf(v)
	}
}
