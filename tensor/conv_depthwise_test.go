package tensor

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// depthwiseDirect is DepthwiseConv2d by its definition, in float64.
func depthwiseDirect(x, w, b *Tensor, o ConvOpts) []float64 {
	n, c, h, wd, k, oh, ow, s, p, d := depthwiseGeom("test", x, w, o)
	out := make([]float64, n*c*oh*ow)
	for nc := 0; nc < n*c; nc++ {
		ch := nc % c
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				var acc float64
				if b != nil {
					acc = float64(b.Data[ch])
				}
				for ki := 0; ki < k; ki++ {
					for kj := 0; kj < k; kj++ {
						yy, xx := i*s-p+ki*d, j*s-p+kj*d
						if yy >= 0 && yy < h && xx >= 0 && xx < wd {
							acc += float64(w.Data[(ch*k+ki)*k+kj]) * float64(x.Data[(nc*h+yy)*wd+xx])
						}
					}
				}
				out[(nc*oh+i)*ow+j] = acc
			}
		}
	}
	return out
}

// The row kernels (interior taps by dwTaps, borders by the formula) agree
// with the definition on every geometry MobileNets and DeepLab heads use and
// on awkward ones: widths below, at and above the 16- and 64-column blocks,
// odd widths with stride 2, dilations that push taps past the input, and
// padding larger than the kernel's reach.
func TestDepthwiseConv2dMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	type geom struct{ h, w, k, s, p, d int }
	cases := []geom{
		{7, 5, 3, 1, 1, 1}, {9, 17, 3, 1, 1, 1}, {8, 64, 3, 1, 1, 1}, {5, 100, 3, 1, 1, 1},
		{6, 131, 5, 1, 2, 1}, {16, 16, 3, 2, 1, 1}, {15, 33, 3, 2, 1, 1}, {12, 97, 5, 2, 2, 1},
		{10, 40, 3, 1, 2, 2}, {8, 70, 3, 1, 12, 12}, {4, 9, 3, 1, 0, 1}, {9, 9, 3, 2, 0, 1},
		{6, 50, 3, 3, 1, 1}, {5, 3, 3, 1, 3, 1}, {3, 200, 5, 2, 4, 1}, {1, 1, 1, 1, 0, 1},
		{8, 129, 1, 2, 0, 1},
	}
	for _, g := range cases {
		t.Run(fmt.Sprintf("%dx%d_k%d_s%d_p%d_d%d", g.h, g.w, g.k, g.s, g.p, g.d), func(t *testing.T) {
			x, w, b := New(2, 3, g.h, g.w), New(3, 1, g.k, g.k), New(3)
			for _, tt := range []*Tensor{x, w, b} {
				for i := range tt.Data {
					tt.Data[i] = float32(rng.NormFloat64())
				}
			}
			o := ConvOpts{Stride: g.s, Pad: g.p, Dilation: g.d}
			got, want := DepthwiseConv2d(x, w, b, o), depthwiseDirect(x, w, b, o)
			if len(got.Data) != len(want) {
				t.Fatalf("%d outputs, want %d", len(got.Data), len(want))
			}
			for i, v := range got.Data {
				if math.Abs(float64(v)-want[i]) > 1e-5*(1+math.Abs(want[i])) {
					t.Fatalf("y[%d] = %v, want %v", i, v, want[i])
				}
			}
		})
	}
}

// The vector tap kernel and its Go twin agree within float32 rounding of
// the fused multiply-adds, on every length mod 16 and across the 64 block
// (one row; TestDwTapsRows covers several).
func TestDwTapsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, n := range []int{1, 5, 15, 16, 17, 31, 63, 64, 65, 80, 129, 200} {
		for _, taps := range []int{1, 3, 9, 25} {
			srcs := make([][]float32, taps)
			wts := make([]float32, taps)
			for t := range srcs {
				srcs[t] = make([]float32, n)
				for j := range srcs[t] {
					srcs[t][j] = float32(rng.NormFloat64())
				}
				wts[t] = float32(rng.NormFloat64())
			}
			got, want := make([]float32, n+3), make([]float32, n)
			got[n], got[n+1], got[n+2] = 7, 7, 7
			dwTapsRows(got[:n], n, n, 1, srcs, 0, wts, 0.5)
			dwTapsRowsGeneric(want, n, n, 1, srcs, 0, wts, 0.5)
			for j := range want {
				if math.Abs(float64(got[j]-want[j])) > 1e-5*(1+math.Abs(float64(want[j]))) {
					t.Fatalf("n=%d taps=%d: dst[%d] = %v, want %v", n, taps, j, got[j], want[j])
				}
			}
			if got[n] != 7 || got[n+2] != 7 {
				t.Fatalf("n=%d taps=%d: wrote past the end: %v", n, taps, got[n:])
			}
		}
	}
}

func BenchmarkDepthwiseConv2d(b *testing.B) {
	for _, g := range []struct{ c, h, w, k, s int }{{64, 128, 256, 3, 1}, {72, 128, 256, 5, 2}, {480, 32, 64, 3, 1}} {
		b.Run(fmt.Sprintf("c%d_%dx%d_k%d_s%d", g.c, g.h, g.w, g.k, g.s), func(b *testing.B) {
			x, w := New(1, g.c, g.h, g.w), New(g.c, 1, g.k, g.k)
			for i := range x.Data {
				x.Data[i] = float32(i%13) - 6
			}
			o := ConvOpts{Stride: g.s, Pad: g.k / 2}
			b.SetBytes(int64(4 * len(x.Data)))
			for i := 0; i < b.N; i++ {
				DepthwiseConv2d(x, w, nil, o)
			}
		})
	}
}

// Conv2dAct (bias and activation applied band by band on the matrix-product
// path) equals Conv2d followed by ApplyAct bit for bit, on every path.
func TestConv2dActMatchesConvThenAct(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, c := range []struct{ ci, h, w, co, k, s, p int }{
		{16, 20, 24, 12, 1, 1, 0}, {16, 20, 24, 12, 1, 2, 0}, {3, 9, 5, 4, 3, 1, 1}, {32, 16, 16, 16, 3, 1, 1}, {8, 12, 40, 6, 3, 2, 1},
	} {
		x, w, b := New(2, c.ci, c.h, c.w), New(c.co, c.ci, c.k, c.k), New(c.co)
		for _, tt := range []*Tensor{x, w, b} {
			for i := range tt.Data {
				tt.Data[i] = float32(rng.NormFloat64())
			}
		}
		o := ConvOpts{Stride: c.s, Pad: c.p}
		for _, act := range []Act{ActNone, ActReLU, ActHardswish} {
			want := Conv2d(x, w, b, o)
			ApplyAct(want, act)
			got := Conv2dAct(x, w, b, o, act)
			for i, v := range got.Data {
				if math.Float32bits(v) != math.Float32bits(want.Data[i]) {
					t.Fatalf("%+v %v: y[%d] = %v, want %v", c, act, i, v, want.Data[i])
				}
			}
		}
	}
}

// Several rows in one call: row r reads every tap r·lds further on and
// writes r·ldd further on; nothing between or after the rows is written.
func TestDwTapsRows(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, c := range []struct{ n, ldd, rows, lds, taps int }{{5, 7, 3, 9, 3}, {64, 70, 4, 130, 9}, {33, 33, 5, 66, 25}, {17, 20, 1, 0, 1}} {
		srcs := make([][]float32, c.taps)
		wts := make([]float32, c.taps)
		for i := range srcs {
			srcs[i] = make([]float32, (c.rows-1)*c.lds+c.n)
			for j := range srcs[i] {
				srcs[i][j] = float32(rng.NormFloat64())
			}
			wts[i] = float32(rng.NormFloat64())
		}
		size := (c.rows-1)*c.ldd + c.n
		got, want := make([]float32, size+2), make([]float32, size+2)
		for i := range got {
			got[i], want[i] = 9, 9
		}
		dwTapsRows(got[:size], c.n, c.ldd, c.rows, srcs, c.lds, wts, -0.25)
		dwTapsRowsGeneric(want[:size], c.n, c.ldd, c.rows, srcs, c.lds, wts, -0.25)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%+v: dst[%d] = %v, want %v", c, i, got[i], want[i])
			}
		}
	}
}

// The ops that take recycled, uninitialised output buffers write every
// element: with NaN-filled buffers waiting in the bin their results are
// unchanged.
func TestUninitOutputsAreFullyWritten(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	x := New(2, 8, 11, 13)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	w1, b1, wd, bd := New(6, 8, 1, 1), New(6), New(8, 1, 3, 3), New(8)
	for _, tt := range []*Tensor{w1, b1, wd, bd} {
		for i := range tt.Data {
			tt.Data[i] = float32(rng.NormFloat64())
		}
	}
	shift := make([]float32, 8)
	// Winograd (3×3, 16 input channels, odd output size) and implicit GEMM
	// (stride 2) convolutions, and bilinear resizing.
	xw := New(2, 16, 9, 13)
	w3 := New(5, 16, 3, 3)
	for _, tt := range []*Tensor{xw, w3} {
		for i := range tt.Data {
			tt.Data[i] = float32(rng.NormFloat64())
		}
	}
	run := func() []*Tensor {
		return []*Tensor{
			Conv2dAct(x, w1, b1, ConvOpts{}, ActReLU),
			Conv2dAct(x, w1, nil, ConvOpts{}, ActNone),
			DepthwiseConv2dAct(x, wd, bd, ConvOpts{Pad: 1, Stride: 2}, ActHardswish),
			ChannelAffineAct(x, bd.Data, shift, ActReLU),
			FromData(convForwardWinograd(xw.Data, 2, w3.Data, nil, mustGeom(xw, w3, ConvOpts{Pad: 1})), 2, 5, 9, 13),
			Conv2d(xw, w3, nil, ConvOpts{Pad: 1, Stride: 2}),
			ResizeBilinear(x, 23, 17),
		}
	}
	want := run()
	nan := float32(math.NaN())
	for _, y := range want {
		for k := 0; k < 2; k++ {
			junk := New(y.Shape...)
			for i := range junk.Data {
				junk.Data[i] = nan
			}
			Recycle(junk)
		}
	}
	for i, y := range run() {
		for j, v := range y.Data {
			if math.Float32bits(v) != math.Float32bits(want[i].Data[j]) {
				t.Fatalf("output %d: y[%d] = %v, want %v", i, j, v, want[i].Data[j])
			}
		}
	}
}

// mustGeom is newConvGeom for tests.
func mustGeom(x, w *Tensor, o ConvOpts) *convGeom {
	_, g := newConvGeom("test", x, w, o)
	return &g
}
