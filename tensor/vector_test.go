package tensor

import (
	"math"
	"testing"
)

// TestAxpyMatchesGeneric compares the dispatching axpy (assembly on amd64)
// with the generic loop bit for bit, on tails and unaligned starts, with
// guard values after y's end that must stay untouched.
func TestAxpyMatchesGeneric(t *testing.T) {
	const guard = 7
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1027} {
		for _, off := range []int{0, 1, 3} {
			for _, alpha := range []float32{1, -0.5, 3} {
				x := randTensor(uint64(n), 1, n+off).Data[off:]
				y0 := randTensor(uint64(n)+1, 1, n+off+guard).Data[off:]
				for i := n; i < n+guard; i++ {
					y0[i] = float32(math.NaN())
				}
				y1 := append([]float32(nil), y0...)
				axpy(alpha, x, y0)
				axpyGeneric(alpha, x, y1[:n])
				for i := 0; i < n; i++ {
					if y0[i] != y1[i] {
						t.Fatalf("n=%d off=%d alpha=%g: y[%d] = %g, generic %g", n, off, alpha, i, y0[i], y1[i])
					}
				}
				for i := n; i < n+guard; i++ {
					if y0[i] == y0[i] {
						t.Fatalf("n=%d off=%d: guard %d overwritten with %g", n, off, i-n, y0[i])
					}
				}
			}
		}
	}
}

// TestExpSliceMatchesExpf compares the vector exponential (assembly on
// amd64) with the scalar expf on random values, every special value and
// edge, and lengths with tails, leaving guard values untouched.
func TestExpSliceMatchesExpf(t *testing.T) {
	special := []float32{
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, -0.0,
		88.72, 88.7228, 88.73, -87.3, -87.4, -100, -103.9, -103.98, -104, 1e-30, -1e-30, 1, -1,
	}
	const guard = 5
	for _, n := range []int{0, 1, 7, 8, 9, 17, 31, 64, 1000} {
		src := randTensor(uint64(n), 30, n).Data
		for i := range src {
			if i%3 == 0 {
				src[i] = special[i%len(special)]
			}
		}
		dst := make([]float32, n+guard)
		for i := n; i < len(dst); i++ {
			dst[i] = 42
		}
		expSlice(dst, src)
		for i, v := range src {
			want := expf(v)
			got := dst[i]
			same := got == want || (got != got && want != want)
			if !same && math.Abs(float64(got-want)) > 3e-7*math.Abs(float64(want)) {
				t.Fatalf("n=%d: exp(%g) = %g, scalar %g", n, v, got, want)
			}
		}
		for i := n; i < len(dst); i++ {
			if dst[i] != 42 {
				t.Fatalf("n=%d: guard %d overwritten", n, i-n)
			}
		}
	}
}

func TestFillf(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 33, 1000} {
		buf := make([]float32, n+3)
		fillf(buf[:n], 2.5)
		for i, v := range buf {
			if want := float32(2.5); (i < n && v != want) || (i >= n && v != 0) {
				t.Fatalf("n=%d: buf[%d] = %g", n, i, v)
			}
		}
	}
}

// TestVectorKernelsMatchGeneric checks every slice kernel (assembly on
// amd64) against its generic loop bit for bit, including NaN, ±Inf and
// signed zeros, on tails and unaligned starts, with guards after dst.
func TestVectorKernelsMatchGeneric(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := []float32{nan, inf, -inf, 0, float32(math.Copysign(0, -1)), 1e-40, -3}
	bin := []struct {
		name      string
		vec, base func(dst, a, b []float32)
	}{
		{"add", addSlice, addGeneric}, {"sub", subSlice, subGeneric},
		{"mul", mulSlice, mulGeneric}, {"div", divSlice, divGeneric},
		{"scale", func(d, a, _ []float32) { scaleSlice(d, a, -1.5) }, func(d, a, _ []float32) { scaleGeneric(d, a, -1.5) }},
		{"addScalar", func(d, a, _ []float32) { addScalarSlice(d, a, 0.25) }, func(d, a, _ []float32) { addScalarGeneric(d, a, 0.25) }},
		{"relu", func(d, a, _ []float32) { reluSlice(d, a) }, func(d, a, _ []float32) { reluGeneric(d, a) }},
		{"maxInto", func(d, a, b []float32) { copy(d, b); maxInto(d, a) }, func(d, a, b []float32) { copy(d, b); maxIntoGeneric(d, a) }},
	}
	const guard = 5
	for _, k := range bin {
		for _, n := range []int{0, 1, 7, 8, 9, 16, 17, 33, 250} {
			for _, off := range []int{0, 1} {
				a := randTensor(uint64(n), 2, n+off).Data[off:]
				b := randTensor(uint64(n)+7, 2, n+off).Data[off:]
				for i := 0; i < n; i += 3 {
					a[i] = special[(i/3)%len(special)]
					if i+1 < n {
						b[i+1] = special[(i/3+2)%len(special)]
					}
				}
				got := make([]float32, n+guard)
				want := make([]float32, n)
				for i := n; i < len(got); i++ {
					got[i] = 42
				}
				k.vec(got[:n], a, b)
				k.base(want, a, b)
				for i := range want {
					g, w := got[i], want[i]
					if g != w && !(g != g && w != w) {
						t.Fatalf("%s n=%d off=%d: element %d (a=%g b=%g) = %g, generic %g", k.name, n, off, i, a[i], b[i], g, w)
					}
				}
				for i := n; i < len(got); i++ {
					if got[i] != 42 {
						t.Fatalf("%s n=%d: guard %d overwritten", k.name, n, i-n)
					}
				}
			}
		}
	}
}

func TestInterleaveKernels(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 64} {
		src := randTensor(uint64(n), 1, 2*n+3).Data
		a0, a1 := make([]float32, n+2), make([]float32, n+2)
		b0, b1 := make([]float32, n+2), make([]float32, n+2)
		deinterleave2(a0[:n], a1, src)
		deinterleave2Generic(b0[:n], b1, src)
		for j := range a0 {
			if a0[j] != b0[j] || a1[j] != b1[j] {
				t.Fatalf("deinterleave2 n=%d: j=%d got (%g, %g), want (%g, %g)", n, j, a0[j], a1[j], b0[j], b1[j])
			}
		}
		d1 := append([]float32(nil), src...)
		d2 := append([]float32(nil), src...)
		interleaveAdd2(d1, a0[:n], a1)
		interleaveAdd2Generic(d2, a0[:n], a1)
		for i := range d1 {
			if d1[i] != d2[i] {
				t.Fatalf("interleaveAdd2 n=%d: element %d = %g, want %g", n, i, d1[i], d2[i])
			}
		}
	}
}

// TestLogf checks the float32 logarithm against math.Log over normal and
// subnormal inputs, and the vector kernel against logf bit for bit.
func TestLogf(t *testing.T) {
	worst := 0.0
	var xs []float32
	for e := -149.0; e < 128; e += 0.0173 {
		xs = append(xs, float32(math.Exp2(e)))
	}
	for _, x := range xs {
		if x == 0 || math.IsInf(float64(x), 0) {
			continue
		}
		want := math.Log(float64(x))
		got := float64(logf(x))
		// Relative error, with an absolute floor near x = 1 where log → 0.
		worst = math.Max(worst, math.Abs(got-want)/math.Max(math.Abs(want), 1))
	}
	if worst > 2e-7 {
		t.Fatalf("logf worst error %g", worst)
	}
	special := []float32{0, float32(math.Copysign(0, -1)), -1, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1, 1e-45, 0x1p-126}
	for _, x := range special {
		got, want := float64(logf(x)), math.Log(float64(x))
		if !(got == want || (math.IsNaN(got) && math.IsNaN(want))) && math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("logf(%g) = %g, want %g", x, got, want)
		}
	}
	src := append(append([]float32(nil), xs...), special...)
	for i := range src {
		if i%5 == 0 {
			src[i] = -src[i]
		}
	}
	for _, n := range []int{0, 3, 8, 13, len(src)} {
		dst := make([]float32, n+4)
		logSlice(dst[:n], src[:n])
		for i := 0; i < n; i++ {
			if w := logf(src[i]); dst[i] != w && !(dst[i] != dst[i] && w != w) {
				t.Fatalf("logSlice(%g) = %g, logf %g", src[i], dst[i], w)
			}
		}
		for _, g := range dst[n:] {
			if g != 0 {
				t.Fatalf("n=%d: wrote past the end", n)
			}
		}
	}
}

// The vector hardswish equals the Go formula bit for bit, around the
// kinks (−3, 3) and on NaN and ±Inf.
func TestHardswishSliceMatchesGeneric(t *testing.T) {
	src := []float32{-4, -3, -2.999999, -1, -0.5, 0, 0.25, 1, 2.5, 3, 3.000001, 7,
		float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, -1e-30}
	for i := 0; i < 50; i++ {
		src = append(src, float32(i)*0.17-4.2)
	}
	got, want := make([]float32, len(src)), make([]float32, len(src))
	hardswishSlice(got, src)
	hardswishGeneric(want, src)
	for i := range src {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("hardswish(%v) = %v, want %v", src[i], got[i], want[i])
		}
	}
}
