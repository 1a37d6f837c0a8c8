package synth

import (
	"math"
	"math/rand/v2"
)

// splitmix64 is the finalizer of SplitMix64; it turns structured inputs
// (seed, split, index) into well-mixed 64-bit seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// imageRNG returns the random source of one image. It depends only on the
// dataset seed, the generator kind, the split and the image index, never on
// which worker renders the image or in what order, which is what makes the
// output independent of --workers.
func imageRNG(seed uint64, kind, split string, index int) *rng {
	h := uint64(1469598103934665603) // FNV-1a over kind and split
	for _, s := range []string{kind, "/", split} {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
	}
	a := splitmix64(seed ^ splitmix64(h))
	b := splitmix64(a ^ uint64(index)*0x632be59bd9b4e019)
	return &rng{r: rand.New(rand.NewPCG(a, b))}
}

// rng wraps a PCG generator (whose output sequence the Go 1 compatibility
// promise keeps stable) with the distributions the generators need.
type rng struct{ r *rand.Rand }

// uni returns a uniform float in [lo, hi).
func (g *rng) uni(lo, hi float64) float64 { return lo + (hi-lo)*g.r.Float64() }

// logUni returns a log-uniform float in [lo, hi): equal mass per octave, used
// for distances so near and far objects are both common.
func (g *rng) logUni(lo, hi float64) float64 {
	return math.Exp(g.uni(math.Log(lo), math.Log(hi)))
}

// intn returns a uniform int in [0, n).
func (g *rng) intn(n int) int { return g.r.IntN(n) }

// irange returns a uniform int in [lo, hi].
func (g *rng) irange(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// chance returns true with probability p.
func (g *rng) chance(p float64) bool { return g.r.Float64() < p }

// norm returns a normal sample.
func (g *rng) norm(mu, sigma float64) float64 { return mu + sigma*g.r.NormFloat64() }

// sign returns -1 or +1 with equal probability.
func (g *rng) sign() float64 {
	if g.r.IntN(2) == 0 {
		return -1
	}
	return 1
}

// u32 returns a random 32-bit value (texture seeds).
func (g *rng) u32() uint32 { return g.r.Uint32() }

// weighted returns index i with probability w[i] / sum(w).
func (g *rng) weighted(w []float64) int {
	var s float64
	for _, v := range w {
		s += v
	}
	x := g.r.Float64() * s
	for i, v := range w {
		x -= v
		if x < 0 {
			return i
		}
	}
	return len(w) - 1
}
