// Package detfill fills tensors with deterministic pseudo-random values
// that a few lines of NumPy reproduce exactly, so parity tests against
// PyTorch models too large to commit need only the formula, an input and
// sampled outputs (models/tv/testdata/gen_tv.py, models/seg/testdata/
// gen_densenet.py): value i of tensor NAME is
// (splitmix64(fnv1a(NAME) + i) >> 11) / 2⁵³ · 2 − 1, in [−1, 1).
package detfill

import (
	"math"
	"strings"

	"github.com/nflowjs/nflowjs/tensor"
)

func splitmix64(x uint64) uint64 {
	z := x + 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func fnv1a(s string) uint64 {
	h := uint64(0xCBF29CE484222325)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001B3
	}
	return h
}

// Uniform returns n values in [−1, 1) for name.
func Uniform(name string, n int) []float64 {
	h := fnv1a(name)
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(splitmix64(h+uint64(i))>>11)/(1<<53)*2 - 1
	}
	return out
}

// Fill sets a state-dict tensor by its name: running variances 1 + u/4,
// running means u/10, 1-D weights (norm scales) 1 + u/10, other 1-D
// tensors u/10, convolution weights u·√(6/fan_in).
func Fill(name string, t *tensor.Tensor) {
	for i, v := range Uniform(name, len(t.Data)) {
		var x float64
		switch {
		case strings.HasSuffix(name, "running_var"):
			x = 1 + 0.25*v
		case strings.HasSuffix(name, "running_mean"):
			x = 0.1 * v
		case len(t.Shape) == 1 && strings.HasSuffix(name, "weight"):
			x = 1 + 0.1*v
		case len(t.Shape) == 1:
			x = 0.1 * v
		default:
			x = v * math.Sqrt(6/float64(len(t.Data)/t.Shape[0]))
		}
		t.Data[i] = float32(x)
	}
}
