package tensor

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
)

// tailSizes are element counts around the parallel grain and SIMD-friendly
// multiples, so that chunk edges and loop tails are exercised.
var tailSizes = []int{0, 1, 7, 8, 15, 16, 17, elemGrain*2 + 7}

func TestParallelForCoversRangeOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 7, 100, 1001} {
			hits := make([]int32, n)
			var calls atomic.Int32
			ParallelFor(n, func(s, e int) {
				calls.Add(1)
				for i := s; i < e; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("procs %d n %d: index %d visited %d times", procs, n, i, h)
				}
			}
			if c := int(calls.Load()); c > procs || (n > 0 && c < 1) {
				t.Fatalf("procs %d n %d: %d chunks", procs, n, c)
			}
		}
	}
}

func TestBinaryAndScalarOps(t *testing.T) {
	for _, n := range tailSizes {
		a := randTensor(1, 1, n)
		b := AddScalar(Map(randTensor(2, 1, n), func(v float32) float32 { return float32(math.Abs(float64(v))) }), 0.5)
		for _, c := range []struct {
			name string
			got  *Tensor
			f    func(x, y float32) float32
		}{
			{"Add", Add(a, b), func(x, y float32) float32 { return x + y }},
			{"Sub", Sub(a, b), func(x, y float32) float32 { return x - y }},
			{"Mul", Mul(a, b), func(x, y float32) float32 { return x * y }},
			{"Div", Div(a, b), func(x, y float32) float32 { return x / y }},
			{"Scale", Scale(a, -2.5), func(x, _ float32) float32 { return x * -2.5 }},
			{"AddScalar", AddScalar(a, 3), func(x, _ float32) float32 { return x + 3 }},
			{"Relu", Relu(a), func(x, _ float32) float32 { return max(x, 0) }},
			{"LeakyRelu", LeakyRelu(a, 0.2), func(x, _ float32) float32 {
				if x > 0 {
					return x
				}
				return 0.2 * x
			}},
		} {
			for i := range a.Data {
				if want := c.f(a.Data[i], b.Data[i]); c.got.Data[i] != want {
					t.Fatalf("%s n=%d: element %d = %g, want %g", c.name, n, i, c.got.Data[i], want)
				}
			}
		}
		y := a.Clone()
		AddInPlace(y, b)
		assertClose(t, "AddInPlace", y, Add(a, b), 0)
		y = a.Clone()
		Axpy(-2, b, y)
		assertClose(t, "Axpy", y, Sub(a, Scale(b, 2)), 1e-7)
	}
}

func TestMathOpsAgainstFloat64(t *testing.T) {
	x := randTensor(3, 5, 3*elemGrain+5)
	for _, c := range []struct {
		name string
		got  *Tensor
		f    func(float64) float64
	}{
		{"Exp", Exp(x), math.Exp},
		{"Tanh", Tanh(x), math.Tanh},
		{"Sigmoid", Sigmoid(x), func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"Softplus", Softplus(x), func(v float64) float64 { return math.Log1p(math.Exp(v)) }},
		{"Log", Log(Exp(x)), func(v float64) float64 { return float64(float32(math.Log(float64(float32(math.Exp(v)))))) }},
	} {
		for i, v := range x.Data {
			want := c.f(float64(v))
			if g := float64(c.got.Data[i]); math.Abs(g-want) > 2e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("%s(%g) = %g, want %g", c.name, v, g, want)
			}
		}
	}
}

// TestExpf sweeps expf over the whole float32 range it can represent and
// checks the edges and special values.
func TestExpf(t *testing.T) {
	worst := 0.0
	for v := float32(-104); v < 88.72; v += 0.0137 {
		want := math.Exp(float64(v))
		got := float64(expf(v))
		if want < math.SmallestNonzeroFloat32*(1<<23) { // subnormal: absolute error
			if math.Abs(got-want) > 2*math.SmallestNonzeroFloat32 {
				t.Fatalf("expf(%g) = %g, want %g", v, got, want)
			}
			continue
		}
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	if worst > 3e-7 {
		t.Fatalf("expf worst relative error %g", worst)
	}
	if g := expf(float32(math.NaN())); g == g {
		t.Fatalf("expf(NaN) = %g", g)
	}
	if g := expf(100); !math.IsInf(float64(g), 1) {
		t.Fatalf("expf(100) = %g", g)
	}
	if g := expf(-200); g != 0 {
		t.Fatalf("expf(-200) = %g", g)
	}
	if g := expf(float32(math.Inf(-1))); g != 0 {
		t.Fatalf("expf(-Inf) = %g", g)
	}
}

func TestChannelOps(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 7, 5}, {4, 17}, {3, 16, 40, 40}, {1, 1, 1, 1}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			x := randTensor(4, 1, shape...)
			c := shape[1]
			v := randTensor(5, 1, c)
			add, mul, sum := AddChannel(x, v), MulChannel(x, v), SumChannel(x)
			r := len(x.Data) / (shape[0] * c)
			want := make([]float64, c)
			for i, xv := range x.Data {
				ch := i / r % c
				want[ch] += float64(xv)
				if add.Data[i] != xv+v.Data[ch] || mul.Data[i] != xv*v.Data[ch] {
					t.Fatalf("element %d: add %g mul %g, x %g v %g", i, add.Data[i], mul.Data[i], xv, v.Data[ch])
				}
			}
			assertClose(t, "SumChannel", sum, asTensor(want, c), 1e-6)
		})
	}
}

func TestSumMean(t *testing.T) {
	for _, n := range tailSizes {
		x := randTensor(6, 1, n)
		var want float64
		for _, v := range x.Data {
			want += float64(v)
		}
		if got := Sum(x); math.Abs(got-want) > 1e-6*math.Sqrt(float64(n)+1) {
			t.Fatalf("Sum n=%d: %g, want %g", n, got, want)
		}
		if n > 0 {
			if got := Mean(x); math.Abs(got-want/float64(n)) > 1e-6 {
				t.Fatalf("Mean n=%d: %g, want %g", n, got, want/float64(n))
			}
		}
	}
	if m := Mean(New(0)); !math.IsNaN(m) {
		t.Fatalf("Mean of empty = %g, want NaN", m)
	}
}

func TestSoftmaxProperties(t *testing.T) {
	// Large logits (overflow without the max shift) and a large tensor
	// (parallel pixel blocks with a tail).
	x := randTensor(7, 40, 3, 19, 17, 33)
	y, ly := SoftmaxChannels(x), LogSoftmaxChannels(x)
	n, c, h, w := x.NCHW()
	for i := 0; i < n; i++ {
		for p := 0; p < h*w; p++ {
			var s float64
			for ch := 0; ch < c; ch++ {
				k := (i*c+ch)*h*w + p
				s += float64(y.Data[k])
				if d := math.Abs(math.Log(float64(y.Data[k])) - float64(ly.Data[k])); y.Data[k] > 1e-30 && d > 1e-5*math.Max(1, math.Abs(float64(ly.Data[k]))) {
					t.Fatalf("log(softmax) %g vs log-softmax %g", math.Log(float64(y.Data[k])), ly.Data[k])
				}
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("softmax sums to %g", s)
			}
		}
	}
	if y.HasNaNOrInf() || ly.HasNaNOrInf() {
		t.Fatal("softmax of large logits overflowed")
	}
	// 2-D input: rows.
	z := SoftmaxChannels(FromData([]float32{0, 0, 1000, 1000, 0, 0}, 2, 3))
	want := []float32{0, 0, 1, 1, 0, 0}
	for i, v := range z.Data {
		if v != want[i] {
			t.Fatalf("softmax rows = %v, want %v", z.Data, want)
		}
	}
}

func TestSqueezeRoundTrip(t *testing.T) {
	x := randTensor(8, 1, 2, 3, 12, 18)
	for _, f := range []int{1, 2, 3, 6} {
		y := Squeeze2d(x, f)
		if want := []int{2, 3 * f * f, 12 / f, 18 / f}; !ShapeEqual(y.Shape, want) {
			t.Fatalf("f=%d: shape %v, want %v", f, y.Shape, want)
		}
		assertClose(t, "unsqueeze(squeeze)", Unsqueeze2d(y, f), x, 0)
		g := randTensor(9, 1, y.Shape...)
		assertAdjoint(t, "squeeze", x, y, g, Unsqueeze2d(g, f))
	}
	assertPanics(t, "tensor.Squeeze2d: factor 5 does not divide", func() { Squeeze2d(x, 5) })
	assertPanics(t, "tensor.Unsqueeze2d: factor 2: channels of [2 3 12 18] are not a multiple of 4", func() { Unsqueeze2d(x, 2) })
}

func TestPadCrop(t *testing.T) {
	x := randTensor(10, 1, 2, 3, 7, 5)
	y := Pad2d(x, 1, 2, 3, 0, -1)
	if !ShapeEqual(y.Shape, []int{2, 3, 10, 8}) {
		t.Fatalf("Pad2d shape %v", y.Shape)
	}
	if y.Data[0] != -1 || y.Data[len(y.Data)-1] != -1 {
		t.Fatalf("pad value not written: %v", y)
	}
	assertClose(t, "crop(pad)", Crop2d(y, 1, 3, 7, 5), x, 0)
	g := randTensor(11, 1, y.Shape...)
	assertAdjoint(t, "pad/crop", x, Pad2d(x, 1, 2, 3, 0, 0), g, Crop2d(g, 1, 3, 7, 5))
	assertPanics(t, "tensor.Crop2d: window 7x5 at (4, 0) outside [2 3 10 8]", func() { Crop2d(y, 4, 0, 7, 5) })
	assertPanics(t, "tensor.Pad2d: negative padding", func() { Pad2d(x, -1, 0, 0, 0, 0) })
}

func TestConcatSplit(t *testing.T) {
	a, b, c := randTensor(12, 1, 2, 1, 3, 5), randTensor(13, 1, 2, 4, 3, 5), randTensor(14, 1, 2, 2, 3, 5)
	y := Concat(a, b, c)
	if !ShapeEqual(y.Shape, []int{2, 7, 3, 5}) {
		t.Fatalf("Concat shape %v", y.Shape)
	}
	// y[1, 1+2, 2, 4] is b[1, 2, 2, 4].
	if y.Data[((1*7+3)*3+2)*5+4] != b.Data[((1*4+2)*3+2)*5+4] {
		t.Fatal("Concat misplaced channels")
	}
	parts := Split(y, 1, 4, 2)
	for i, want := range []*Tensor{a, b, c} {
		assertClose(t, fmt.Sprint("split ", i), parts[i], want, 0)
	}
	assertPanics(t, "tensor.Split: sizes [1 2] do not add up to the 7 channels", func() { Split(y, 1, 2) })
	assertPanics(t, "tensor.Concat: shape [2 1 3 4] does not match [2 1 3 5]", func() { Concat(a, New(2, 1, 3, 4)) })
}

func TestMatMul(t *testing.T) {
	for _, s := range [][3]int{{1, 1, 1}, {7, 15, 17}, {16, 8, 33}, {3, 0, 4}} {
		m, k, n := s[0], s[1], s[2]
		a, b := randTensor(15, 1, m, k), randTensor(16, 1, k, n)
		want := make([]float64, m*n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				for p := 0; p < k; p++ {
					want[i*n+j] += float64(a.Data[i*k+p]) * float64(b.Data[p*n+j])
				}
			}
		}
		assertClose(t, fmt.Sprint("MatMul ", s), MatMul(a, b), asTensor(want, m, n), 1e-5)
	}
	assertPanics(t, "tensor.MatMul: cannot multiply [2 3] by [2 3]", func() { MatMul(New(2, 3), New(2, 3)) })
}

// TestPoolResizeAdjoints checks every linear pooling/resizing backward
// against its forward with the adjoint identity, on odd sizes.
func TestPoolResizeAdjoints(t *testing.T) {
	x := randTensor(17, 1, 2, 3, 15, 17)
	for _, sz := range [][2]int{{30, 34}, {7, 8}, {15, 17}, {1, 1}, {16, 5}} {
		y := ResizeBilinear(x, sz[0], sz[1])
		g := randTensor(18, 1, y.Shape...)
		assertAdjoint(t, fmt.Sprint("bilinear ", sz), x, y, g, ResizeBilinearBackward(g, 15, 17))
		y = AdaptiveAvgPool2d(x, sz[0], sz[1])
		assertAdjoint(t, fmt.Sprint("adaptive ", sz), x, y, g, AdaptiveAvgPool2dBackward(g, x.Shape))
	}
	for _, p := range [][3]int{{3, 2, 1}, {2, 2, 0}, {3, 1, 1}, {5, 3, 2}, {4, 0, 0}} {
		y := AvgPool2d(x, p[0], p[1], p[2])
		g := randTensor(19, 1, y.Shape...)
		assertAdjoint(t, fmt.Sprint("avgpool ", p), x, y, g, AvgPool2dBackward(g, x.Shape, p[0], p[1], p[2]))
		// Max pooling is linear once the argmax is fixed.
		m, arg := MaxPool2d(x, p[0], p[1], p[2])
		assertAdjoint(t, fmt.Sprint("maxpool ", p), x, m, g, MaxPool2dBackward(g, arg, x.Shape))
	}
}

func TestMaxPoolTiesAndNaN(t *testing.T) {
	x := FromData([]float32{1, 1, 1, 1, float32(math.NaN()), 2, 0, 3, 0}, 1, 1, 3, 3)
	y, arg := MaxPool2d(x, 2, 1, 0)
	// The first window, rows 0-1 and columns 0-1, is {1, 1, 1, NaN}: NaN wins.
	if !math.IsNaN(float64(y.Data[0])) || arg[0] != 4 {
		t.Fatalf("NaN window: %v at %d", y.Data[0], arg[0])
	}
	x = FromData([]float32{5, 5, 5, 5}, 1, 1, 2, 2)
	if _, arg = MaxPool2d(x, 2, 2, 0); arg[0] != 0 {
		t.Fatalf("tie went to index %d, want the first (0)", arg[0])
	}
	// Padding is −Inf: an all-negative border window still picks an input.
	x = Full(-7, 1, 1, 2, 2)
	if y, _ := MaxPool2d(x, 3, 2, 1); y.Data[0] != -7 {
		t.Fatalf("padded window max %g, want -7", y.Data[0])
	}
}

func TestShapePanics(t *testing.T) {
	x := New(2, 3, 4, 4)
	for _, c := range []struct {
		want string
		f    func()
	}{
		{"tensor.Add: shape mismatch [2 3 4 4] vs [2 3 4 5]", func() { Add(x, New(2, 3, 4, 5)) }},
		{"tensor.Axpy: shape mismatch", func() { Axpy(1, x, New(3)) }},
		{"tensor.AddChannel: want a [3] vector for input [2 3 4 4], have shape [4]", func() { AddChannel(x, New(4)) }},
		{"tensor.SumChannel: want at least 2 axes", func() { SumChannel(New(5)) }},
		{"tensor.SoftmaxChannels: want at least 2 axes", func() { SoftmaxChannels(New(5)) }},
		{"tensor.MaxPool2d: invalid kernel 3, stride 1, pad 2", func() { MaxPool2d(x, 3, 1, 2) }},
		{"tensor.AvgPool2d: kernel 7 larger than padded input", func() { AvgPool2d(x, 7, 1, 1) }},
		{"tensor.AvgPool2dBackward: output gradient has shape [2 3 4 4], want [2 3 2 2]", func() { AvgPool2dBackward(x, x.Shape, 2, 2, 0) }},
		{"tensor.MaxPool2dBackward: gradient [2 3 2 2] with 3 indices", func() { MaxPool2dBackward(New(2, 3, 2, 2), make([]int32, 3), x.Shape) }},
		{"tensor.ResizeBilinear: cannot resize [2 3 4 4] to 0x3", func() { ResizeBilinear(x, 0, 3) }},
		{"tensor.AdaptiveAvgPool2d: cannot pool", func() { AdaptiveAvgPool2d(x, 2, 0) }},
		{"tensor.Map: nil function", func() { Map(x, nil) }},
	} {
		assertPanics(t, c.want, c.f)
	}
}
