package tensor

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGatherRows compares gatherRows (vector kernel plus tail) with the
// reference loop on widths around the 8-float vectors and the 32-float
// unrolled case, with random offsets and row strides.
func TestGatherRows(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	src := randTensor(3, 1, 4000).Data
	for _, n := range []int{1, 3, 7, 8, 9, 16, 24, 31, 32, 33, 40, 64} {
		for _, rows := range []int{1, 2, 5, 37} {
			ldd := n + r.IntN(3)*5
			offs := make([]int, rows)
			for i := range offs {
				offs[i] = r.IntN(len(src) - n + 1)
			}
			tab := newGatherTable(offs)
			got := make([]float32, rows*ldd)
			want := make([]float32, rows*ldd)
			for i := range got {
				got[i], want[i] = -1, -1
			}
			gatherRows(got, ldd, src, tab, n)
			gatherRowsGeneric(want, ldd, src, tab.offs, n)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("n=%d rows=%d ldd=%d: element %d = %g, want %g", n, rows, ldd, i, got[i], want[i])
				}
			}
		}
	}
	assertPanics(t, "tensor: gather offset", func() { newGatherTable([]int{-1}) })
}

// implicitCases are convolution geometries for the implicit-GEMM path:
// the segnet-ref layers (smaller batch), odd sizes, strides 2 and 3,
// dilation, non-square kernels, Co not a multiple of any tile height,
// depths needing several K blocks, and geometries the dispatcher sends
// elsewhere (1×1, outputs narrower than 8) but the path must still get
// right.
var implicitCases = []convCase{
	{2, 3, 64, 64, 32, 3, 3, 1, 1, 1},
	{1, 32, 32, 32, 64, 3, 3, 2, 1, 1},
	{1, 32, 20, 20, 10, 3, 3, 1, 1, 1},
	{2, 5, 17, 19, 7, 3, 3, 2, 1, 1},
	{2, 4, 16, 15, 7, 3, 3, 2, 0, 1},
	{1, 4, 23, 29, 3, 5, 5, 3, 2, 1},
	{2, 3, 16, 18, 17, 3, 3, 1, 2, 2},
	{1, 2, 12, 40, 1, 1, 3, 1, 0, 1},
	{1, 40, 10, 12, 9, 3, 3, 1, 1, 1},
	{3, 70, 9, 33, 16, 3, 3, 1, 1, 1},
	{1, 2, 9, 8, 3, 2, 2, 2, 0, 1},
	{2, 6, 15, 15, 8, 1, 1, 2, 0, 1},
	{2, 3, 16, 16, 8, 1, 1, 1, 0, 1},
	{1, 3, 8, 8, 4, 3, 3, 1, 0, 1},
	{1, 2, 3, 2, 2, 5, 5, 1, 2, 1},
	{1, 1, 1, 1, 1, 1, 1, 1, 0, 1},
}

// TestConvImplicitAgainstReference checks convForwardImplicit, with and
// without bias and on 1, 2 and 3 threads (so with one band or several per
// image), against the float64 definition and the im2col path.
func TestConvImplicitAgainstReference(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for i, c := range implicitCases {
			for _, withBias := range []bool{true, false} {
				t.Run(fmt.Sprintf("procs%d/%v/bias=%v", procs, c, withBias), func(t *testing.T) {
					checkImplicit(t, uint64(i), c, withBias)
				})
			}
		}
	}
}

// TestConvImplicitRandomShapes runs checkImplicit on random small
// geometries.
func TestConvImplicitRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := 0; i < 60; i++ {
		c := convCase{
			n: 1 + r.IntN(3), ci: 1 + r.IntN(6), co: 1 + r.IntN(20),
			kh: 1 + r.IntN(4), s: 1 + r.IntN(3), d: 1 + r.IntN(2),
		}
		c.kw = c.kh
		if r.IntN(4) == 0 {
			c.kw = 1 + r.IntN(4)
		}
		c.p = r.IntN(max(c.kh, c.kw) + 1)
		c.h, c.w = 1+r.IntN(20), 1+r.IntN(40)
		if convOutSize(c.h, c.kh, c.s, c.p, c.d) < 1 || convOutSize(c.w, c.kw, c.s, c.p, c.d) < 1 {
			continue
		}
		checkImplicit(t, uint64(i)+500, c, r.IntN(2) == 0)
	}
}

func checkImplicit(t *testing.T, seed uint64, c convCase, withBias bool) {
	t.Helper()
	checkPath(t, seed, c, withBias, convForwardImplicit)
}

// checkPath compares a forward convolution path with the float64
// definition and with the im2col path.
func checkPath(t *testing.T, seed uint64, c convCase, withBias bool, path func(x []float32, n int, w, bias []float32, g *convGeom) []float32) {
	t.Helper()
	x := randTensor(seed, 1, c.n, c.ci, c.h, c.w)
	w := randTensor(seed+100, 0.3, c.co, c.ci, c.kh, c.kw)
	var b *Tensor
	var bias []float32
	if withBias {
		b = randTensor(seed+200, 1, c.co)
		bias = b.Data
	}
	o := ConvOpts{Stride: c.s, Pad: c.p, Dilation: c.d}
	n, g := newConvGeom("Conv2d", x, w, o)
	gy := New(c.n, c.co, g.oh, g.ow)
	ry, _, _, _ := refConv(x, w, b, gy, c.s, c.p, c.d)
	got := FromData(path(x.Data, n, w.Data, bias, &g), c.n, c.co, g.oh, g.ow)
	assertCloseFloor(t, c.String(), got, asTensor(ry, c.n, c.co, g.oh, g.ow), 1e-5, 1)
	alt := FromData(im2colNoAct(x.Data, n, w.Data, bias, &g), c.n, c.co, g.oh, g.ow)
	assertCloseFloor(t, c.String()+" vs im2col", got, alt, 1e-5, 1)
}

// im2colNoAct is the im2col path without an activation.
func im2colNoAct(x []float32, n int, w, bias []float32, g *convGeom) []float32 {
	return convForwardIm2col(x, n, w, bias, g, ActNone)
}
