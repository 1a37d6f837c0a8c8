package ood

import (
	"math"
	"math/rand/v2"
	"testing"
)

// js64 is the float64 reference JS(U, softmax(l/T)) for one pixel, by the
// textbook formula ½KL(U‖M) + ½KL(p‖M).
func js64(l []float64, T float64) float64 {
	k := len(l)
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v/T)
	}
	p := make([]float64, k)
	var s float64
	for i, v := range l {
		p[i] = math.Exp(v/T - m)
		s += p[i]
	}
	u := 1 / float64(k)
	var js float64
	for i := range p {
		p[i] /= s
		mm := (p[i] + u) / 2
		js += 0.5 * u * math.Log(u/mm)
		if p[i] > 0 {
			js += 0.5 * p[i] * math.Log(p[i]/mm)
		}
	}
	return js
}

func randLogits(r *rand.Rand, n, k, hw int, scale float64) []float32 {
	l := make([]float32, n*k*hw)
	for i := range l {
		l[i] = float32(r.NormFloat64() * scale)
	}
	return l
}

func TestExpLog32(t *testing.T) {
	for x := -87.0; x <= 0; x += 0.0137 {
		got := float64(exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		if math.Abs(got-want) > 2e-7*want {
			t.Fatalf("exp32(%v) = %v, want %v", x, got, want)
		}
	}
	for x := 1e-30; x < 1e30; x *= 1.0173 {
		got := float64(log32(float32(x)))
		want := math.Log(float64(float32(x)))
		if math.Abs(got-want) > 2e-7*math.Max(1, math.Abs(want)) {
			t.Fatalf("log32(%v) = %v, want %v", x, got, want)
		}
	}
}

func TestJSKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 2, 3, 19, 64} {
		for _, hw := range []int{0, 1, 7, 8, 15, 16, 17, 100} {
			for _, scale := range []float64{0.01, 3, 30} {
				T := float32(2)
				src := randLogits(r, 1, k, hw, scale)
				got := make([]float32, hw+2) // guard values after the output
				got[hw], got[hw+1] = 42, 42
				gen := make([]float32, hw)
				jsRange(got[:hw], src, hw, k, hw, 1/T, 1)
				jsGeneric(gen, src, hw, k, hw, 1/T, 1)
				if got[hw] != 42 || got[hw+1] != 42 {
					t.Fatalf("k=%d hw=%d: kernel wrote past its output", k, hw)
				}
				l := make([]float64, k)
				for i := 0; i < hw; i++ {
					for c := range l {
						l[c] = float64(src[c*hw+i])
					}
					want := js64(l, float64(T))
					if math.Abs(float64(got[i])-want) > 2e-6 || math.Abs(float64(gen[i])-want) > 2e-6 {
						t.Fatalf("k=%d hw=%d scale=%g pixel %d: asm %v, go %v, float64 %v", k, hw, scale, i, got[i], gen[i], want)
					}
				}
			}
		}
	}
}

func TestStatsKernel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, k := range []int{1, 2, 5, 19} {
		for _, w := range []int{1, 7, 8, 9, 16, 33, 64} {
			for _, ties := range []bool{false, true} {
				src := randLogits(r, 1, k, w, 3)
				if ties {
					for i := range src {
						src[i] = float32(int(src[i]))
					}
				}
				var fast, ref softmaxStats
				blockStatsFast(&fast, src, w, k, w, 0.5, true, statsConsts(k, 0.5))
				blockStats(&ref, src, w, k, w, 0.5, true)
				for j := 0; j < w; j++ {
					if fast.m[j] != ref.m[j] || fast.arg[j] != ref.arg[j] {
						t.Fatalf("k=%d w=%d pixel %d: max/arg %v/%d, want %v/%d", k, w, j, fast.m[j], fast.arg[j], ref.m[j], ref.arg[j])
					}
					for _, p := range [][2]float32{{fast.s[j], ref.s[j]}, {fast.a[j], ref.a[j]}, {fast.zs[j], ref.zs[j]}} {
						if math.Abs(float64(p[0]-p[1])) > 1e-5*math.Max(1, math.Abs(float64(p[1]))) {
							t.Fatalf("k=%d w=%d pixel %d: sums %v/%v/%v, want %v/%v/%v", k, w, j,
								fast.s[j], fast.a[j], fast.zs[j], ref.s[j], ref.a[j], ref.zs[j])
						}
					}
				}
			}
		}
	}
}

// Images larger than one parallel task: task boundaries and image
// boundaries must not shift pixels.
func TestParallelDriver(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const n, k, hw = 3, 3, 2*taskPixels + 13
	src := randLogits(r, n, k, hw, 2)
	for _, kind := range []Kind{NFlowJS, Entropy, MaxLogit} {
		got := make([]float32, n*hw)
		if err := ComputeInto(kind, got, src, n, k, hw, 2); err != nil {
			t.Fatal(err)
		}
		l := make([]float64, k)
		for img := 0; img < n; img++ {
			for i := 0; i < hw; i += 997 {
				for c := range l {
					l[c] = float64(src[(img*k+c)*hw+i])
				}
				if want := ref64(kind, l, 2); math.Abs(float64(got[img*hw+i])-want) > 2e-6 {
					t.Fatalf("%v image %d pixel %d: %v, want %v", kind, img, i, got[img*hw+i], want)
				}
			}
		}
	}
}
