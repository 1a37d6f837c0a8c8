package gemm_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// guard is written around and between the rows of every output buffer; any
// change to it means a kernel wrote outside C.
const guard = float32(-7.25e30)

// negZero is -0.0, which as beta must act like +0 (C not read).
var negZero = float32(math.Copysign(0, -1))

// unitRoundoff is 2⁻²⁴, the float32 unit roundoff.
const unitRoundoff = 1.0 / (1 << 24)

// problem is one product with its operands laid out as BLAS would see them.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
	a, b           []float32
	c              []float32 // guard-padded: pad elements, then rows of ldc, then pad
	pad            int
}

func (p *problem) String() string {
	return fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta, p.lda, p.ldb, p.ldc)
}

// newProblem builds random operands. extra is added to every leading
// dimension (so rows have unused gaps); nanC fills C with NaN instead of
// random values (use with beta == 0, where C must not be read).
func newProblem(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, extra int, nanC bool) *problem {
	p := &problem{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, pad: 19}
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	p.lda, p.ldb, p.ldc = max(aCols, 1)+extra, max(bCols, 1)+extra, max(n, 1)+extra
	p.a = randSlice(rng, aRows*p.lda)
	p.b = randSlice(rng, bRows*p.ldb)
	p.c = make([]float32, 2*p.pad+m*p.ldc)
	for i := range p.c {
		p.c[i] = guard
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := float32(rng.NormFloat64())
			if nanC {
				v = float32(math.NaN())
			}
			p.c[p.pad+i*p.ldc+j] = v
		}
	}
	return p
}

// clone returns p with a fresh copy of C.
func (p *problem) clone() *problem {
	q := *p
	q.c = append([]float32(nil), p.c...)
	return &q
}

func (p *problem) cView() []float32 { return p.c[p.pad : len(p.c)-p.pad] }

func (p *problem) opA(i, l int) float64 {
	if p.transA {
		return float64(p.a[l*p.lda+i])
	}
	return float64(p.a[i*p.lda+l])
}

func (p *problem) opB(l, j int) float64 {
	if p.transB {
		return float64(p.b[j*p.ldb+l])
	}
	return float64(p.b[l*p.ldb+j])
}

// reference returns alpha·op(A)·op(B) + beta·C in float64 together with the
// error scale |alpha|·Σ|a||b| + |beta·c| of each element.
func (p *problem) reference() (want, scale []float64) {
	want = make([]float64, p.m*p.n)
	scale = make([]float64, p.m*p.n)
	c := p.cView()
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			var s, abs float64
			for l := 0; l < p.k; l++ {
				x := p.opA(i, l) * p.opB(l, j)
				s += x
				abs += math.Abs(x)
			}
			s *= float64(p.alpha)
			abs *= math.Abs(float64(p.alpha))
			if p.beta != 0 {
				cv := float64(p.beta) * float64(c[i*p.ldc+j])
				s += cv
				abs += math.Abs(cv)
			}
			want[i*p.n+j] = s
			scale[i*p.n+j] = abs
		}
	}
	return want, scale
}

// tolerance is the bound we accept on |C − C₆₄|: (k+2)·2⁻²³ times the
// error scale, twice the first-order bound k·u·Σ|a·b| of recursive
// float32 summation plus the alpha and beta roundings.
func (p *problem) tolerance(scale float64) float64 {
	return float64(p.k+2) * 2 * unitRoundoff * scale
}

type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

func (p *problem) run(f sgemmFunc) {
	f(p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.cView(), p.ldc)
}

// check runs f on a copy of p and compares with the float64 reference,
// including the guard values around and between the rows of C.
func (p *problem) check(t *testing.T, name string, f sgemmFunc) {
	t.Helper()
	q := p.clone()
	q.run(f)
	want, scale := p.reference()
	c := q.cView()
	for i, v := range q.c {
		inside := i >= q.pad && i < len(q.c)-q.pad && (i-q.pad)%q.ldc < q.n
		if !inside && v != guard {
			t.Fatalf("%s %v: guard at c[%d] overwritten with %g", name, p, i-q.pad, v)
		}
	}
	for i := 0; i < p.m; i++ {
		for j := 0; j < p.n; j++ {
			got := float64(c[i*p.ldc+j])
			w := want[i*p.n+j]
			if d := math.Abs(got - w); !(d <= p.tolerance(scale[i*p.n+j])) {
				t.Fatalf("%s %v: C[%d,%d] = %g, want %g (|diff| %g > tol %g)", name, p, i, j, got, w, d, p.tolerance(scale[i*p.n+j]))
			}
		}
	}
}

// implementations returns every Sgemm variant under test: the public entry
// points, each kernel serial and on three goroutines, and each kernel with
// tiny cache blocks.
func implementations() map[string]sgemmFunc {
	impls := map[string]sgemmFunc{
		"Sgemm":       gemm.Sgemm,
		"SgemmSerial": gemm.SgemmSerial,
	}
	for _, ks := range [][]gemm.Kernel{gemm.Kernels(), gemm.SmallBlockKernels()} {
		for _, k := range ks {
			k := k
			impls[k.Name+"/serial"] = func(transA, transB bool, m, n, kk int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				k.Sgemm(1, transA, transB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc)
			}
			impls[k.Name+"/3threads"] = func(transA, transB bool, m, n, kk int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				k.Sgemm(3, transA, transB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc)
			}
		}
	}
	return impls
}

var transposes = [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}}

// TestSgemmSmallSizes covers every transpose combination, the sizes 0, 1
// and the tails around the 8- and 16-wide vectors in each dimension, with
// odd leading-dimension gaps and several alpha/beta pairs.
func TestSgemmSmallSizes(t *testing.T) {
	sizes := []int{0, 1, 7, 8, 15, 16, 17}
	scalars := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2.5, -1}}
	impls := implementations()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tr := range transposes {
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range sizes {
					ab := scalars[rng.IntN(len(scalars))]
					extra := rng.IntN(3) * 3 // 0, 3 or 6: odd gaps between rows
					p := newProblem(rng, tr[0], tr[1], m, n, k, ab[0], ab[1], extra, false)
					for name, f := range impls {
						p.check(t, name, f)
					}
				}
			}
		}
	}
}

// TestSgemmBetaZeroIgnoresC fills C with NaN: with beta == 0 Sgemm must
// overwrite it without reading it, also when alpha or k is zero.
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	impls := implementations()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tr := range transposes {
		for _, s := range [][3]int{{7, 17, 9}, {33, 40, 300}, {13, 5, 0}, {20, 70, 6}} {
			for _, alpha := range []float32{1, 0, -1.5} {
				p := newProblem(rng, tr[0], tr[1], s[0], s[1], s[2], alpha, 0, 1, true)
				for name, f := range impls {
					p.check(t, name, f)
				}
			}
		}
	}
}

// TestSgemmRandomShapes compares random shapes, large enough to use several
// cache blocks and the parallel split along both M and N, with the float64
// reference.
func TestSgemmRandomShapes(t *testing.T) {
	impls := implementations()
	rng := rand.New(rand.NewPCG(7, 8))
	iters := 12
	if testing.Short() {
		iters = 4
	}
	for it := 0; it < iters; it++ {
		tr := transposes[it%4]
		m, n, k := 1+rng.IntN(160), 1+rng.IntN(160), 1+rng.IntN(300)
		if it%3 == 0 {
			m, n = n/8+1, m*2 // wide and flat: the parallel split goes along N
		}
		alpha := float32(rng.NormFloat64())
		beta := []float32{0, 1, float32(rng.NormFloat64())}[it%3]
		p := newProblem(rng, tr[0], tr[1], m, n, k, alpha, beta, rng.IntN(5), false)
		for name, f := range impls {
			p.check(t, name, f)
		}
	}
}

// TestSgemmLarge checks the default kernel on the conv2d shapes, above the
// block sizes and the parallel threshold.
func TestSgemmLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("float64 reference of large products is slow")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct {
		ta, tb  bool
		m, n, k int
	}{
		{false, false, 64, 300, 576},
		{false, true, 64, 96, 1100},
		{true, false, 300, 410, 64},
		{true, true, 150, 170, 270},
	} {
		p := newProblem(rng, s.ta, s.tb, s.m, s.n, s.k, 1, 0.5, 1, false)
		p.check(t, "Sgemm", gemm.Sgemm)
	}
}

// TestSgemmAsmMatchesGeneric checks that the assembly-driven product agrees
// with the pure-Go one (both fold the same sums, in different orders and
// with or without fused multiply-adds) within the float32 bound.
func TestSgemmAsmMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for it, tr := range transposes {
		p := newProblem(rng, tr[0], tr[1], 37+it, 53, 129, 1.5, 0.25, 2, false)
		asm, gen := p.clone(), p.clone()
		asm.run(gemm.Sgemm)
		gen.run(func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			gemm.SgemmGeneric(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		})
		_, scale := p.reference()
		ca, cg := asm.cView(), gen.cView()
		for i := 0; i < p.m; i++ {
			for j := 0; j < p.n; j++ {
				d := math.Abs(float64(ca[i*p.ldc+j]) - float64(cg[i*p.ldc+j]))
				if tol := 2 * p.tolerance(scale[i*p.n+j]); !(d <= tol) {
					t.Fatalf("%v: asm %g vs generic %g at [%d,%d], |diff| %g > %g", p, ca[i*p.ldc+j], cg[i*p.ldc+j], i, j, d, tol)
				}
			}
		}
	}
}

// TestKernels runs every micro-kernel on random panels against the
// reference tile loop, with guards around a strided C.
func TestKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, k := range gemm.Kernels() {
		for _, kc := range []int{1, 2, 3, 4, 5, 8, 17, 64} {
			for _, beta := range []float32{0, negZero, 1, -0.75} {
				ldc := k.NR + 3
				a := randSlice(rng, kc*k.MR)
				b := randSlice(rng, kc*k.NR)
				c := make([]float32, (k.MR+2)*ldc)
				for i := range c {
					c[i] = guard
				}
				for i := 0; i < k.MR; i++ {
					for j := 0; j < k.NR; j++ {
						c[(i+1)*ldc+j] = float32(rng.NormFloat64())
						if beta == 0 { // also -0: C must not be read
							c[(i+1)*ldc+j] = float32(math.NaN())
						}
					}
				}
				want := append([]float32(nil), c...)
				k.Run(kc, a, b, c[ldc:], ldc, beta)
				gemm.KernelGeneric(k.MR, k.NR, kc, a, b, want[ldc:], ldc, beta)
				for i := range c {
					d := math.Abs(float64(c[i]) - float64(want[i]))
					if !(d <= 1e-5*(1+math.Abs(float64(want[i])))*float64(kc)) {
						t.Fatalf("%s kc=%d beta=%g: c[%d] = %g, want %g", k.Name, kc, beta, i, c[i], want[i])
					}
				}
			}
		}
	}
}

// TestSgemmBadArgs checks that misuse panics with a gemm: message instead
// of writing out of bounds.
func TestSgemmBadArgs(t *testing.T) {
	buf := make([]float32, 16)
	cases := []struct {
		name string
		f    func()
	}{
		{"negative m", func() { gemm.Sgemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{"short A", func() { gemm.Sgemm(false, false, 5, 2, 4, 1, buf, 4, buf, 2, 0, buf, 2) }},
		{"short B", func() { gemm.Sgemm(false, true, 2, 5, 4, 1, buf, 4, buf, 4, 0, buf, 5) }},
		{"short C", func() { gemm.SgemmSerial(false, false, 2, 2, 2, 1, buf, 2, buf, 2, 0, buf[:4], 3) }},
		{"small lda", func() { gemm.Sgemm(true, false, 3, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }},
		{"small ldc", func() { gemm.Sgemm(false, false, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf, 2) }},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "gemm: ") {
					t.Errorf("%s: recovered %v, want a gemm: panic", tc.name, r)
				}
			}()
			tc.f()
		}()
	}
}

// TestSgemmConcurrent runs parallel products from several goroutines at
// once, so they compete for the helper goroutines (run it with -race).
func TestSgemmConcurrent(t *testing.T) {
	k := gemm.Kernels()[0]
	rng := rand.New(rand.NewPCG(19, 20))
	var probs []*problem
	for i := 0; i < 4; i++ {
		probs = append(probs, newProblem(rng, i%2 == 0, i/2 == 0, 40+i, 70, 33, 1, 0, 1, true))
	}
	want := make([][]float32, len(probs))
	for i, p := range probs {
		q := p.clone()
		q.run(gemm.SgemmSerial)
		want[i] = q.c
	}
	errs := make(chan error, len(probs))
	for i, p := range probs {
		go func() {
			for rep := 0; rep < 20; rep++ {
				q := p.clone()
				q.run(func(transA, transB bool, m, n, kk int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					k.Sgemm(2+rep%2, transA, transB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc)
				})
				for j := range q.c {
					if q.c[j] != want[i][j] {
						errs <- fmt.Errorf("problem %d rep %d: c[%d] = %g, want %g", i, rep, j, q.c[j], want[i][j])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range probs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
