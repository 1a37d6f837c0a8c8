package gemm_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// tileSgemm is Sgemm driven through the TileKernel API the way an
// implicit-GEMM caller drives it: PackA for blocks of depth kcMax, B
// panels packed by hand with NaN in their padding columns (which must never
// reach C), one Tile call per tile. It handles k >= 1.
func tileSgemm(tk gemm.TileKernel, kcMax int) sgemmFunc {
	return func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		mr, nr := tk.MR(), tk.NR()
		opB := func(p, j int) float32 {
			if transB {
				return b[j*ldb+p]
			}
			return b[p*ldb+j]
		}
		scratch := make([]float32, mr*nr)
		for pc := 0; pc < k; pc += kcMax {
			kc := min(kcMax, k-pc)
			ap := make([]float32, (m+mr-1)/mr*mr*kc)
			tk.PackA(transA, a, lda, 0, pc, m, kc, alpha, ap)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			bp := make([]float32, kc*nr)
			for jr := 0; jr < n; jr += nr {
				cols := min(nr, n-jr)
				for p := 0; p < kc; p++ {
					for j := 0; j < nr; j++ {
						if j < cols {
							bp[p*nr+j] = opB(pc+p, jr+j)
						} else {
							bp[p*nr+j] = float32(math.NaN())
						}
					}
				}
				for ir := 0; ir < m; ir += mr {
					tk.Tile(kc, ap[ir*kc:], bp, min(mr, m-ir), cols, bt, c[ir*ldc+jr:], ldc, scratch)
				}
			}
		}
	}
}

// TestTileKernel checks every kernel's PackA and Tile against the float64
// reference: sizes around the tile edges (partial rows and columns), both
// layouts of A, several K blocks, beta 0 with NaN in C, and guards around C.
func TestTileKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	sizes := []int{1, 5, 8, 10, 17, 33}
	for _, tk := range gemm.TileKernels() {
		for _, kcMax := range []int{4, 13, 256} {
			f := tileSgemm(tk, kcMax)
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{1, 9, 40} {
						tr := transposes[rng.IntN(len(transposes))]
						beta := []float32{0, 1, -0.5}[rng.IntN(3)]
						p := newProblem(rng, tr[0], tr[1], m, n, k, 1.5, beta, rng.IntN(3), beta == 0)
						p.check(t, tk.Name(), f)
					}
				}
			}
		}
	}
}

// TestTileKernelFor checks the kernel choice: a valid kernel for every m,
// and never more padded rows than the default kernel.
func TestTileKernelFor(t *testing.T) {
	def := gemm.TileKernelFor(1 << 20) // m a multiple of every MR: the default
	for m := 1; m <= 70; m++ {
		tk := gemm.TileKernelFor(m)
		if tk.MR() < 1 || tk.NR() < 1 || tk.KC() < 1 || tk.Name() == "" {
			t.Fatalf("m=%d: invalid kernel %q %dx%d kc %d", m, tk.Name(), tk.MR(), tk.NR(), tk.KC())
		}
		pad := func(k gemm.TileKernel) int { return (m + k.MR() - 1) / k.MR() * k.MR() }
		if pad(tk) > pad(def) {
			t.Fatalf("m=%d: %s pads to %d rows, default %s to %d", m, tk.Name(), pad(tk), def.Name(), pad(def))
		}
	}
}

// TestTileKernelBadArgs checks the panics on inconsistent sizes.
func TestTileKernelBadArgs(t *testing.T) {
	tk := gemm.TileKernelFor(64)
	mr, nr := tk.MR(), tk.NR()
	a, b := make([]float32, mr*8), make([]float32, nr*8)
	c, s := make([]float32, mr*nr), make([]float32, mr*nr)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"rows", func() { tk.Tile(8, a, b, mr+1, nr, 0, c, nr, s) }},
		{"cols", func() { tk.Tile(8, a, b, mr, 0, 0, c, nr, s) }},
		{"depth", func() { tk.Tile(9, a, b, mr, nr, 0, c, nr, s) }},
		{"C", func() { tk.Tile(8, a, b, mr, nr, 0, c[1:], nr, s) }},
		{"scratch", func() { tk.Tile(8, a, b, 1, 1, 0, c, nr, s[:1]) }},
		{"PackA src", func() { tk.PackA(false, a, 8, 1, 0, mr, 8, 1, make([]float32, mr*8)) }},
		{"PackA dst", func() { tk.PackA(false, a, 8, 0, 0, mr, 8, 1, make([]float32, mr*8-1)) }},
		{"PackA negative", func() { tk.PackA(false, a, 8, -1, 0, 1, 8, 1, a) }},
	} {
		func() {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || !strings.HasPrefix(msg, "gemm: ") {
					t.Errorf("%s: recovered %v, want a gemm: panic", tc.name, r)
				}
			}()
			tc.f()
		}()
	}
}

// BenchmarkTileKernel times every kernel through the TileKernel API on the
// products of a segnet-ref convolution block (m rows, one 32-wide run of B
// panels of depth 288, as the implicit-GEMM convolution drives it).
// GFLOP/s counts the useful 2·m·n·k only, so padding rows show as waste:
// compare the kernels at m = 10.
func BenchmarkTileKernel(b *testing.B) {
	const n, k = 1024, 288
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tk := range gemm.TileKernels() {
		for _, m := range []int{10, 64} {
			a := randSlice(rng, m*k)
			mPad := (m + tk.MR() - 1) / tk.MR() * tk.MR()
			ap := make([]float32, mPad*k)
			tk.PackA(false, a, k, 0, 0, m, k, 1, ap)
			bp := randSlice(rng, k*tk.NR())
			c := make([]float32, m*n)
			scratch := make([]float32, tk.MR()*tk.NR())
			b.Run(fmt.Sprintf("%s/m=%d", tk.Name(), m), func(b *testing.B) {
				for b.Loop() {
					for j := 0; j+tk.NR() <= n; j += tk.NR() {
						for i := 0; i < m; i += tk.MR() {
							tk.Tile(k, ap[i*k:], bp, min(tk.MR(), m-i), tk.NR(), 0, c[i*n+j:], n, scratch)
						}
					}
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
