package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// refConv computes Conv2d and its three gradients with plain float64 loops
// straight from the definition, as the oracle for the GEMM-based kernels.
func refConv(x, w, b, gy *Tensor, s, p, d int) (y, gx, gw, gb []float64) {
	n, ci, h, wd := x.NCHW()
	co, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	oh, ow := convOutSize(h, kh, s, p, d), convOutSize(wd, kw, s, p, d)
	y = make([]float64, n*co*oh*ow)
	gx, gw, gb = make([]float64, len(x.Data)), make([]float64, len(w.Data)), make([]float64, co)
	for i := 0; i < n; i++ {
		for o := 0; o < co; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					yi := ((i*co+o)*oh+oy)*ow + ox
					acc := 0.0
					if b != nil {
						acc = float64(b.Data[o])
					}
					g := float64(gy.Data[yi])
					gb[o] += g
					for c := 0; c < ci; c++ {
						for ky := 0; ky < kh; ky++ {
							iy := oy*s - p + ky*d
							if iy < 0 || iy >= h {
								continue
							}
							for kx := 0; kx < kw; kx++ {
								ix := ox*s - p + kx*d
								if ix < 0 || ix >= wd {
									continue
								}
								xi := ((i*ci+c)*h+iy)*wd + ix
								wi := ((o*ci+c)*kh+ky)*kw + kx
								acc += float64(x.Data[xi]) * float64(w.Data[wi])
								gx[xi] += g * float64(w.Data[wi])
								gw[wi] += g * float64(x.Data[xi])
							}
						}
					}
					y[yi] = acc
				}
			}
		}
	}
	return y, gx, gw, gb
}

func asTensor(v []float64, shape ...int) *Tensor {
	t := New(shape...)
	for i, f := range v {
		t.Data[i] = float32(f)
	}
	return t
}

type convCase struct {
	n, ci, h, w, co, kh, kw, s, p, d int
}

func (c convCase) String() string {
	return fmt.Sprintf("n%d_ci%d_%dx%d_co%d_k%dx%d_s%d_p%d_d%d", c.n, c.ci, c.h, c.w, c.co, c.kh, c.kw, c.s, c.p, c.d)
}

var convCases = []convCase{
	{1, 1, 1, 1, 1, 1, 1, 1, 0, 1},
	{2, 3, 7, 7, 4, 3, 3, 1, 1, 1},
	{3, 2, 15, 17, 5, 3, 3, 1, 1, 1},
	{1, 4, 17, 15, 3, 3, 3, 2, 1, 1},
	{2, 3, 16, 16, 8, 1, 1, 1, 0, 1},  // direct 1x1 path
	{1, 5, 7, 9, 3, 1, 1, 2, 0, 1},    // 1x1, stride 2: im2col path
	{1, 3, 15, 15, 2, 1, 3, 1, 0, 1},  // non-square kernel
	{2, 2, 9, 8, 3, 3, 3, 1, 2, 2},    // dilation
	{1, 2, 8, 8, 2, 8, 8, 1, 0, 1},    // 1x1 output
	{5, 2, 7, 7, 3, 3, 3, 3, 2, 1},    // 5 images, odd stride
	{1, 64, 40, 40, 8, 3, 3, 1, 1, 1}, // several row bands per image (2+ threads)
	{2, 2, 3, 2, 2, 5, 5, 1, 2, 1},    // kernel wider than the image
	{2, 6, 7, 9, 3, 3, 3, 1, 1, 1},    // narrowing: gx by the flipped convolution
	{1, 5, 9, 9, 2, 3, 3, 1, 3, 1},    // narrowing but padding > K−1: col2im
	{2, 16, 9, 12, 16, 3, 3, 1, 1, 1}, // equal channels: gx by the flipped convolution as Winograd
	{1, 16, 10, 9, 24, 3, 3, 1, 1, 1}, // widening, flipped as Winograd
	{1, 4, 10, 9, 24, 3, 3, 1, 1, 1},  // widening, flipped would be no Winograd: col2im
	// Dilated taps falling into the padding (conv_tapskip.go), as in ASPP.
	{2, 3, 6, 10, 4, 3, 3, 1, 4, 4},     // 3×3 row and column runs
	{1, 3, 5, 9, 2, 3, 3, 1, 6, 6},      // no kernel row but the middle ever inside
	{1, 2, 4, 5, 3, 3, 3, 1, 9, 9},      // only the centre tap: 1×1 pieces
	{1, 16, 12, 40, 8, 3, 3, 1, 12, 12}, // wide pieces (implicit GEMM inside)
	{1, 3, 8, 11, 2, 5, 5, 1, 6, 3},     // 5×5, dilation 3
	{1, 2, 7, 9, 3, 3, 1, 1, 5, 5},      // 3×1 kernel: columns all padding but the centre
	{2, 3, 6, 10, 2, 3, 3, 1, 5, 4},     // padding beyond "same": a larger output, no in-place tap
}

// TestConv2dAgainstReference checks Conv2d and Conv2dBackward against the
// float64 definition on shapes with odd sizes, every code path (direct,
// im2col, banded) and 1, 2 and 3 threads (parallel over images, over
// bands, or the parallel GEMM).
func TestConv2dAgainstReference(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for i, c := range convCases {
			if testing.Short() && c.ci > 8 && procs != 2 {
				continue
			}
			t.Run(fmt.Sprintf("procs%d/%v", procs, c), func(t *testing.T) {
				x := randTensor(uint64(i), 1, c.n, c.ci, c.h, c.w)
				w := randTensor(uint64(i)+100, 0.3, c.co, c.ci, c.kh, c.kw)
				b := randTensor(uint64(i)+200, 1, c.co)
				o := ConvOpts{Stride: c.s, Pad: c.p, Dilation: c.d}
				oh, ow := convOutSize(c.h, c.kh, c.s, c.p, c.d), convOutSize(c.w, c.kw, c.s, c.p, c.d)
				gy := randTensor(uint64(i)+300, 1, c.n, c.co, oh, ow)
				ry, rgx, rgw, rgb := refConv(x, w, b, gy, c.s, c.p, c.d)
				assertClose(t, "y", Conv2d(x, w, b, o), asTensor(ry, c.n, c.co, oh, ow), 1e-5)
				gx, gw, gb := Conv2dBackward(x, w, gy, o, true)
				assertClose(t, "gx", gx, asTensor(rgx, x.Shape...), 1e-5)
				assertClose(t, "gw", gw, asTensor(rgw, w.Shape...), 1e-5)
				assertClose(t, "gb", gb, asTensor(rgb, c.co), 1e-5)
			})
		}
	}
}

func dot(a, b *Tensor) float64 {
	if len(a.Data) != len(b.Data) {
		panic(fmt.Sprintf("dot: %v vs %v", a.Shape, b.Shape))
	}
	var s float64
	for i := range a.Data {
		s += float64(a.Data[i]) * float64(b.Data[i])
	}
	return s
}

// assertAdjoint checks ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ to float32 accuracy.
func assertAdjoint(t *testing.T, what string, x, ax, y, aty *Tensor) {
	t.Helper()
	if !SameShape(ax, y) || !SameShape(x, aty) {
		t.Fatalf("%s: shapes A x %v, y %v, x %v, Aᵀy %v", what, ax.Shape, y.Shape, x.Shape, aty.Shape)
	}
	l, r := dot(ax, y), dot(x, aty)
	if math.Abs(l-r) > 1e-5*(math.Abs(l)+math.Sqrt(float64(len(x.Data)+len(y.Data)))) {
		t.Fatalf("%s: ⟨Ax, y⟩ = %g but ⟨x, Aᵀy⟩ = %g", what, l, r)
	}
}

// TestConvTransposeIsAdjoint checks that ConvTranspose2d with the same
// weight is the adjoint of Conv2d, and that ConvTranspose2dBackward is the
// adjoint of ConvTranspose2d in x and w.
func TestConvTransposeIsAdjoint(t *testing.T) {
	for i, c := range convCases {
		if c.ci > 8 {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			x := randTensor(uint64(i), 1, c.n, c.ci, c.h, c.w)
			w := randTensor(uint64(i)+100, 0.3, c.co, c.ci, c.kh, c.kw)
			o := ConvOpts{Stride: c.s, Pad: c.p, Dilation: c.d}
			y := Conv2d(x, w, nil, o)
			// Output padding restores the rows the strided forward dropped.
			opH := (c.h + 2*c.p - c.d*(c.kh-1) - 1) % c.s
			opW := (c.w + 2*c.p - c.d*(c.kw-1) - 1) % c.s
			if opH != opW {
				t.Fatalf("case needs the same output padding on both axes, have %d and %d", opH, opW)
			}
			gy := randTensor(uint64(i)+300, 1, y.Shape...)
			assertAdjoint(t, "conv vs transpose", x, y, gy, ConvTranspose2d(gy, w, nil, o, opH))

			// Transposed conv on its own: forward vs its input and weight gradients.
			z := ConvTranspose2d(gy, w, nil, o, opH)
			gz := randTensor(uint64(i)+400, 1, z.Shape...)
			gx, gw, _ := ConvTranspose2dBackward(gy, w, gz, o, opH, true)
			assertAdjoint(t, "transpose input grad", gy, z, gz, gx)
			dw := randTensor(uint64(i)+500, 1, w.Shape...)
			assertAdjoint(t, "transpose weight grad", dw, ConvTranspose2d(gy, dw, nil, o, opH), gz, gw)
		})
	}
}

func TestConvPanics(t *testing.T) {
	x := New(1, 3, 5, 5)
	for _, c := range []struct {
		name, want string
		f          func()
	}{
		{"channels", "tensor.Conv2d: weight [4 2 3 3] does not fit input [1 3 5 5]", func() { Conv2d(x, New(4, 2, 3, 3), nil, ConvOpts{}) }},
		{"too big", "tensor.Conv2d: kernel 7x7 (dilation 1) larger than padded input", func() { Conv2d(x, New(4, 3, 7, 7), nil, ConvOpts{}) }},
		{"bias", "tensor.Conv2d: bias [3] does not fit weight [4 3 3 3]", func() { Conv2d(x, New(4, 3, 3, 3), New(3), ConvOpts{}) }},
		{"negative", "tensor.Conv2d: negative option", func() { Conv2d(x, New(4, 3, 3, 3), nil, ConvOpts{Pad: -1}) }},
		{"not 4-D", "tensor.Conv2d: want a 4-D NCHW tensor, have shape [3 5 5]", func() { Conv2d(New(3, 5, 5), New(4, 3, 3, 3), nil, ConvOpts{}) }},
		{"gy", "tensor.Conv2dBackward: output gradient has shape [1 4 5 5], want [1 4 3 3]", func() { Conv2dBackward(x, New(4, 3, 3, 3), New(1, 4, 5, 5), ConvOpts{}, true) }},
		{"outpad", "tensor.ConvTranspose2d: output padding 2 must be in [0, max(stride 2, dilation 1))", func() { ConvTranspose2d(x, New(3, 2, 3, 3), nil, ConvOpts{Stride: 2}, 2) }},
		{"transpose weight", "tensor.ConvTranspose2d: weight [2 3 3 3] does not fit input [1 3 5 5]", func() { ConvTranspose2d(x, New(2, 3, 3, 3), nil, ConvOpts{}, 0) }},
	} {
		t.Run(c.name, func(t *testing.T) { assertPanics(t, c.want, c.f) })
	}
}

// assertPanics fails unless f panics with a message containing want.
func assertPanics(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want %q", want)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want it to contain %q", msg, want)
		}
	}()
	f()
}

// TestConvGradWPaths checks that the two parallel reductions of the weight
// gradient (per-task partials summed in order, per-chunk partials) agree,
// and that the default one is bit-for-bit reproducible.
func TestConvGradWPaths(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	x := randTensor(1, 1, 6, 8, 9, 11)
	w := randTensor(2, 0.3, 16, 8, 3, 3)
	o := ConvOpts{Pad: 1}
	gy := randTensor(3, 1, 6, 16, 9, 11)
	_, gw1, _ := Conv2dBackward(x, w, gy, o, false)
	_, gw2, _ := Conv2dBackward(x, w, gy, o, false)
	assertClose(t, "repeat", gw2, gw1, 0)
	defer func(l int) { gradPartialLimit = l }(gradPartialLimit)
	gradPartialLimit = 0
	_, gw3, _ := Conv2dBackward(x, w, gy, o, false)
	assertClose(t, "chunked", gw3, gw1, 1e-6)
}

// TestConvRandomShapes compares Conv2d, Conv2dBackward and (through the
// adjoint identity) ConvTranspose2d with the float64 definition on many
// random small geometries: strides 1-3, dilations 1-2, paddings up to the
// kernel size, odd sizes and non-square kernels.
func TestConvRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 7))
	for i := 0; i < 80; i++ {
		c := convCase{
			n: 1 + r.IntN(3), ci: 1 + r.IntN(5), co: 1 + r.IntN(5),
			kh: 1 + r.IntN(4), s: 1 + r.IntN(3), d: 1 + r.IntN(2),
		}
		c.kw = c.kh
		if r.IntN(4) == 0 {
			c.kw = 1 + r.IntN(4)
		}
		c.p = r.IntN(max(c.kh, c.kw) + 1)
		c.h, c.w = 1+r.IntN(12), 1+r.IntN(12)
		if convOutSize(c.h, c.kh, c.s, c.p, c.d) < 1 || convOutSize(c.w, c.kw, c.s, c.p, c.d) < 1 {
			continue
		}
		x := randTensor(uint64(i), 1, c.n, c.ci, c.h, c.w)
		w := randTensor(uint64(i)+1000, 0.5, c.co, c.ci, c.kh, c.kw)
		b := randTensor(uint64(i)+2000, 1, c.co)
		o := ConvOpts{Stride: c.s, Pad: c.p, Dilation: c.d}
		oh, ow := convOutSize(c.h, c.kh, c.s, c.p, c.d), convOutSize(c.w, c.kw, c.s, c.p, c.d)
		gy := randTensor(uint64(i)+3000, 1, c.n, c.co, oh, ow)
		ry, rgx, rgw, rgb := refConv(x, w, b, gy, c.s, c.p, c.d)
		name := c.String()
		assertCloseFloor(t, name+" y", Conv2d(x, w, b, o), asTensor(ry, c.n, c.co, oh, ow), 1e-5, 1)
		gx, gw, gb := Conv2dBackward(x, w, gy, o, true)
		assertCloseFloor(t, name+" gx", gx, asTensor(rgx, x.Shape...), 1e-5, 1)
		assertCloseFloor(t, name+" gw", gw, asTensor(rgw, w.Shape...), 1e-5, 1)
		assertCloseFloor(t, name+" gb", gb, asTensor(rgb, c.co), 1e-5, 1)
		opH := (c.h + 2*c.p - c.d*(c.kh-1) - 1) % c.s
		opW := (c.w + 2*c.p - c.d*(c.kw-1) - 1) % c.s
		if opH == opW && opH < max(c.s, c.d) {
			// ConvTranspose2d(gy, w) is the adjoint of Conv2d(·, w).
			y := Conv2d(x, w, nil, o)
			assertAdjoint(t, name+" transpose", x, y, gy, ConvTranspose2d(gy, w, nil, o, opH))
		}
	}
}

// The ASPP geometries take the tap-skipping path and compute the expected
// share of the products; an ordinary "same" 3×3 convolution does not.
func TestTapSkipChoosesDilatedPadding(t *testing.T) {
	share := func(g convGeom) float64 {
		var vr, vc int
		for _, r := range tapRuns(g.kh, g.dil, g.pad, g.h, g.oh) {
			vr += (r.o1 - r.o0) * (r.k1 - r.k0)
		}
		for _, c := range tapRuns(g.kw, g.dil, g.pad, g.w, g.ow) {
			vc += (c.o1 - c.o0) * (c.k1 - c.k0)
		}
		return float64(vr*vc) / float64(g.oh*g.kh*g.ow*g.kw)
	}
	for _, c := range []struct {
		d    int
		want float64
	}{{12, 0.75 * 0.875}, {24, 0.5 * 0.75}, {36, 1.0 / 3 * 0.625}} {
		g := convGeom{ci: 960, h: 32, w: 64, co: 256, oh: 32, ow: 64, kh: 3, kw: 3, stride: 1, pad: c.d, dil: c.d}
		if !useTapSkip(&g) || math.Abs(share(g)-c.want) > 1e-12 {
			t.Errorf("ASPP dilation %d: tap skip %v, share %v, want %v", c.d, useTapSkip(&g), share(g), c.want)
		}
	}
	same := convGeom{ci: 64, h: 32, w: 64, co: 64, oh: 32, ow: 64, kh: 3, kw: 3, stride: 1, pad: 2, dil: 2}
	if useTapSkip(&same) {
		t.Errorf("dilation-2 same convolution on 32×64 (share %v) cut up", share(same))
	}
}
