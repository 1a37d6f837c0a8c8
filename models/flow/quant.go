package flow

import (
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor"
)

// Bits8 is the bit depth of the images the flow models; the dequantisation
// term of the bits/dim is log2(256) = 8.
const Bits8 = 8

// Dequantize maps 8-bit values v ∈ {0..255} (stored as float32) to
// continuous x = (v + u)/256 − 0.5, u ~ U[0,1): uniform dequantisation
// (Theis et al. 2016), so that a density on [-0.5, 0.5]^D bounds the
// discrete likelihood: log P(v) ≥ E_u[log p(x)] − D·log 256.
func Dequantize(v *tensor.Tensor, rng *rand.Rand) *tensor.Tensor {
	out := tensor.NewLike(v)
	for i, x := range v.Data {
		out.Data[i] = (x+float32(rng.Float64()))/256 - 0.5
	}
	return out
}

// Center maps 8-bit values to the centres of their dequantisation bins,
// (v + 0.5)/256 − 0.5: the deterministic counterpart of Dequantize.
func Center(v *tensor.Tensor) *tensor.Tensor {
	out := tensor.NewLike(v)
	for i, x := range v.Data {
		out.Data[i] = (x+0.5)/256 - 0.5
	}
	return out
}

// ToBytes quantises images in [-0.5, 0.5] back to 8 bits, clamping samples
// that leave the range.
func ToBytes(x *tensor.Tensor) []uint8 {
	out := make([]uint8, len(x.Data))
	for i, v := range x.Data {
		q := math.Floor((float64(v) + 0.5) * 256)
		out[i] = uint8(math.Max(0, math.Min(255, q)))
	}
	return out
}

// BitsPerDimOf converts a per-image log-likelihood (nats, continuous
// density on [-0.5, 0.5]^D) to bits per dimension of the 8-bit image:
// −log p(x)/(D·ln 2) + 8, the 8 being the log-volume of the 1/256 bins.
func BitsPerDimOf(logp float64, dims int) float64 {
	return -logp/(float64(dims)*math.Ln2) + Bits8
}
