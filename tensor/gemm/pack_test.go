package gemm_test

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// guarded returns a slice of n elements with guard values on both sides
// (inside the same backing array) and a function reporting whether the
// guards are intact.
func guarded(n int) (s []float32, intact func() bool) {
	const pad = 17
	buf := make([]float32, n+2*pad)
	for i := range buf {
		buf[i] = guard
	}
	intact = func() bool {
		for i := 0; i < pad; i++ {
			if buf[i] != guard || buf[len(buf)-1-i] != guard {
				return false
			}
		}
		return true
	}
	return buf[pad : pad+n], intact
}

// TestTranspose8 checks every kernel's 8×8 transpose against the reference
// loop: exact equality (a transpose and one multiply round identically),
// with gaps in both strides and guards around the destination.
func TestTranspose8(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, k := range gemm.Kernels() {
		for _, blocks := range []int{1, 2, 5} {
			for _, ldd := range []int{8, 11, 32} {
				for _, alpha := range []float32{1, -2.5} {
					lds := 8*blocks + 3
					src := randSlice(rng, 7*lds+8*blocks)
					n := (8*blocks-1)*ldd + 8
					got, intact := guarded(n)
					want := make([]float32, n)
					k.Transpose8(blocks, src, lds, got, ldd, alpha)
					gemm.Transpose8Generic(blocks, src, lds, want, ldd, alpha)
					if !intact() {
						t.Fatalf("%s blocks=%d ldd=%d: wrote outside dst", k.Name, blocks, ldd)
					}
					for p := 0; p < 8*blocks; p++ {
						for i := 0; i < 8; i++ {
							if got[p*ldd+i] != want[p*ldd+i] {
								t.Fatalf("%s blocks=%d ldd=%d alpha=%g: dst[%d] = %g, want %g", k.Name, blocks, ldd, alpha, p*ldd+i, got[p*ldd+i], want[p*ldd+i])
							}
						}
					}
				}
			}
		}
	}
}

// TestCopyRows checks every kernel's strided, scaled row copy against the
// reference loop at its own panel width, with guards.
func TestCopyRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, k := range gemm.Kernels() {
		for _, kc := range []int{1, 2, 9, 33} {
			alpha := []float32{1, -1.5}[kc%2]
			lds := k.NR + 5
			src := randSlice(rng, (kc-1)*lds+k.NR)
			got, intact := guarded(kc * k.NR)
			want := make([]float32, kc*k.NR)
			k.CopyRows(kc, src, lds, got, k.NR, alpha)
			gemm.CopyRowsGeneric(kc, src, lds, want, k.NR, alpha)
			if !intact() {
				t.Fatalf("%s kc=%d: wrote outside dst", k.Name, kc)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s kc=%d: dst[%d] = %g, want %g", k.Name, kc, i, got[i], want[i])
				}
			}
		}
	}
}
