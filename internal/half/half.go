// Package half converts between IEEE 754 binary16 ("half", NumPy's
// float16) and Go's floats, rounding to nearest even as NumPy does.
//
// The SMIYC evaluation stores scores as float16 and bins them with NumPy's
// float16 arithmetic; reproducing its numbers to 1e-9 needs the same
// roundings, which is what this package is for.
package half

import "math"

// ToFloat64 returns the value of the binary16 number with bits h (exact).
func ToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	man := float64(h & 0x3ff)
	switch exp {
	case 0: // zero or subnormal: man · 2^-24
		return sign * math.Ldexp(man, -24)
	case 0x1f:
		if man != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(1024+man, exp-25)
}

// Round returns the binary16 value nearest to x (ties to even), as a
// float64: what NumPy's float64 → float16 cast (and, for a float32 input,
// its float32 → float16 cast) gives. Values beyond the largest half
// (65504, rounding boundary 65520) become ±Inf; NaN stays NaN.
func Round(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	a := math.Abs(x)
	if a >= 65520 {
		return math.Copysign(math.Inf(1), x)
	}
	_, e := math.Frexp(a) // a = m·2^e, m in [0.5, 1)
	// The spacing of halves in a's binade: 2^(e−11) for normals, 2^-24
	// for subnormals (below 2^-14).
	ulpExp := max(e-11, -24)
	r := math.Ldexp(math.RoundToEven(math.Ldexp(a, -ulpExp)), ulpExp)
	return math.Copysign(r, x)
}

// FromFloat64 returns the bits of Round(x).
func FromFloat64(x float64) uint16 {
	r := Round(x)
	var sign uint16
	if math.Signbit(r) {
		sign = 0x8000
		r = -r
	}
	switch {
	case math.IsNaN(r):
		return 0x7e00
	case math.IsInf(r, 0):
		return sign | 0x7c00
	case r == 0:
		return sign
	case r < 0x1p-14: // subnormal
		return sign | uint16(math.Ldexp(r, 24))
	}
	_, e := math.Frexp(r) // r = m·2^e, biased half exponent e−1+15
	man := math.Ldexp(r, 11-e) - 1024
	return sign | uint16(e+14)<<10 | uint16(man)
}

// Op applies a binary arithmetic operation the way NumPy's float16 loops
// do: both operands (halves) widened to float32, the operation in float32,
// the result rounded to half. a and b must already be halves.
func Op(a, b float64, op byte) float64 {
	x, y := float32(a), float32(b)
	var r float32
	switch op {
	case '+':
		r = x + y
	case '-':
		r = x - y
	case '*':
		r = x * y
	case '/':
		r = x / y
	default:
		panic("half.Op: unknown operation " + string(op))
	}
	return Round(float64(r))
}
