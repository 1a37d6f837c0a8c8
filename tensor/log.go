package tensor

import (
	"math"

	"github.com/nflowjs/nflowjs/internal/cephes"
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
	if m < cephes.SqrtHalf {
		e--
		m = m + m - 1
	} else {
		m = m - 1
	}
	return cephes.LogCore(m, float32(e))
}

// logSliceGeneric sets dst[i] = logf(src[i]): the reference loop of the
// vector kernel.
func logSliceGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = logf(v)
	}
}
