package tv

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

// uniform is testdata/gen_tv.py's deterministic fill: n values in [-1, 1).
func uniform(name string, n int) []float64 {
	h := fnv1a(name)
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(splitmix64(h+uint64(i))>>11)/(1<<53)*2 - 1
	}
	return out
}

// fill sets a state-dict tensor as gen_tv.py's fill does.
func fill(name string, t *tensor.Tensor) {
	u := uniform(name, len(t.Data))
	for i, v := range u {
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
			fanIn := len(t.Data) / t.Shape[0]
			x = v * math.Sqrt(6/float64(fanIn))
		}
		t.Data[i] = float32(x)
	}
}
