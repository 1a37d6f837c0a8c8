package autograd

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// randT returns a tensor of uniform values in [lo, hi).
func randT(rng *rand.Rand, lo, hi float64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*rng.Float64())
	}
	return t
}

// randAway returns values in ±[lo, hi) with a random sign: away from the
// kink at zero of ReLU-like functions.
func randAway(rng *rand.Rand, lo, hi float64, shape ...int) *tensor.Tensor {
	t := randT(rng, lo, hi, shape...)
	for i := range t.Data {
		if rng.IntN(2) == 0 {
			t.Data[i] = -t.Data[i]
		}
	}
	return t
}

// gradCase is one finite-difference check: f applied to inputs.
type gradCase struct {
	name   string
	f      func(in []*Var) *Var
	inputs []*tensor.Tensor
	eps    float64 // default 1e-2
	tol    float64 // default 1e-3
}

func runGradCases(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eps, tol := c.eps, c.tol
			if eps == 0 {
				eps = 1e-2
			}
			if tol == 0 {
				tol = 1e-3
			}
			if err := GradCheck(c.f, c.inputs, eps, tol); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGradElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var cases []gradCase
	for _, shape := range [][]int{{5}, {2, 3}, {2, 3, 4, 5}} {
		u := func() *tensor.Tensor { return randT(rng, -1, 1, shape...) }
		pos := func() *tensor.Tensor { return randT(rng, 0.5, 2, shape...) }
		away := func() *tensor.Tensor { return randAway(rng, 0.1, 1, shape...) }
		cases = append(cases,
			gradCase{name: "Add", f: func(v []*Var) *Var { return Add(v[0], v[1]) }, inputs: []*tensor.Tensor{u(), u()}},
			gradCase{name: "Sub", f: func(v []*Var) *Var { return Sub(v[0], v[1]) }, inputs: []*tensor.Tensor{u(), u()}},
			gradCase{name: "Mul", f: func(v []*Var) *Var { return Mul(v[0], v[1]) }, inputs: []*tensor.Tensor{u(), u()}},
			gradCase{name: "Div", f: func(v []*Var) *Var { return Div(v[0], v[1]) }, inputs: []*tensor.Tensor{u(), pos()}},
			gradCase{name: "Scale", f: func(v []*Var) *Var { return Scale(v[0], -2.5) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Neg", f: func(v []*Var) *Var { return Neg(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "AddScalar", f: func(v []*Var) *Var { return AddScalar(v[0], 3) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Square", f: func(v []*Var) *Var { return Square(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Exp", f: func(v []*Var) *Var { return Exp(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Log", f: func(v []*Var) *Var { return Log(v[0]) }, inputs: []*tensor.Tensor{pos()}},
			gradCase{name: "Tanh", f: func(v []*Var) *Var { return Tanh(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Sigmoid", f: func(v []*Var) *Var { return Sigmoid(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Softplus", f: func(v []*Var) *Var { return Softplus(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Relu", f: func(v []*Var) *Var { return Relu(v[0]) }, inputs: []*tensor.Tensor{away()}},
			gradCase{name: "LeakyRelu", f: func(v []*Var) *Var { return LeakyRelu(v[0], 0.2) }, inputs: []*tensor.Tensor{away()}},
			gradCase{name: "Sum", f: func(v []*Var) *Var { return Sum(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "Mean", f: func(v []*Var) *Var { return Mean(v[0]) }, inputs: []*tensor.Tensor{u()}},
			// The same Var used twice must accumulate both paths.
			gradCase{name: "MulSelf", f: func(v []*Var) *Var { return Mul(v[0], Exp(v[0])) }, inputs: []*tensor.Tensor{u()}},
		)
	}
	runGradCases(t, cases)
}

func TestGradChannelOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var cases []gradCase
	for _, shape := range [][]int{{2, 3}, {2, 3, 4, 5}, {1, 4, 1, 3}} {
		c := shape[1]
		u := func() *tensor.Tensor { return randT(rng, -1, 1, shape...) }
		cases = append(cases,
			gradCase{name: "AddChannel", f: func(v []*Var) *Var { return AddChannel(v[0], v[1]) }, inputs: []*tensor.Tensor{u(), randT(rng, -1, 1, c)}},
			gradCase{name: "MulChannel", f: func(v []*Var) *Var { return MulChannel(v[0], v[1]) }, inputs: []*tensor.Tensor{u(), randT(rng, -1, 1, c)}},
			gradCase{name: "SumChannel", f: func(v []*Var) *Var { return SumChannel(v[0]) }, inputs: []*tensor.Tensor{u()}},
			gradCase{name: "SoftmaxChannels", f: func(v []*Var) *Var { return SoftmaxChannels(v[0]) }, inputs: []*tensor.Tensor{randT(rng, -3, 3, shape...)}},
			gradCase{name: "LogSoftmaxChannels", f: func(v []*Var) *Var { return LogSoftmaxChannels(v[0]) }, inputs: []*tensor.Tensor{randT(rng, -3, 3, shape...)}},
		)
	}
	runGradCases(t, cases)
}

func TestGradMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	var cases []gradCase
	for _, d := range [][3]int{{1, 1, 1}, {2, 3, 4}, {5, 7, 3}} {
		m, k, n := d[0], d[1], d[2]
		cases = append(cases,
			gradCase{name: "MatMul", f: func(v []*Var) *Var { return MatMul(v[0], v[1]) },
				inputs: []*tensor.Tensor{randT(rng, -1, 1, m, k), randT(rng, -1, 1, k, n)}},
			gradCase{name: "Linear", f: func(v []*Var) *Var { return Linear(v[0], v[1], v[2]) },
				inputs: []*tensor.Tensor{randT(rng, -1, 1, m, k), randT(rng, -1, 1, n, k), randT(rng, -1, 1, n)}},
			gradCase{name: "LinearNoBias", f: func(v []*Var) *Var { return Linear(v[0], v[1], nil) },
				inputs: []*tensor.Tensor{randT(rng, -1, 1, m, k), randT(rng, -1, 1, n, k)}},
		)
	}
	runGradCases(t, cases)
}

func TestGradShapeOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	u := func(shape ...int) *tensor.Tensor { return randT(rng, -1, 1, shape...) }
	cases := []gradCase{
		{name: "Reshape", f: func(v []*Var) *Var { return Tanh(Reshape(v[0], 3, -1)) }, inputs: []*tensor.Tensor{u(2, 3, 2, 2)}},
		{name: "Concat", f: func(v []*Var) *Var { return Concat(v[0], v[1], v[2]) }, inputs: []*tensor.Tensor{u(2, 1, 3, 2), u(2, 3, 3, 2), u(2, 2, 3, 2)}},
		{name: "ConcatSame", f: func(v []*Var) *Var { return Concat(v[0], v[0]) }, inputs: []*tensor.Tensor{u(1, 2, 2, 2)}},
		{name: "Split", f: func(v []*Var) *Var {
			p := Split(v[0], 1, 3, 2)
			return Concat(Scale(p[2], 2), Exp(p[0]), p[1])
		}, inputs: []*tensor.Tensor{u(2, 6, 2, 3)}},
		{name: "SplitUnused", f: func(v []*Var) *Var { return Split(v[0], 2, 2)[1] }, inputs: []*tensor.Tensor{u(2, 4, 3, 3)}},
		{name: "Squeeze2d", f: func(v []*Var) *Var { return Squeeze2d(v[0], 2) }, inputs: []*tensor.Tensor{u(2, 3, 4, 6)}},
		{name: "Unsqueeze2d", f: func(v []*Var) *Var { return Unsqueeze2d(v[0], 2) }, inputs: []*tensor.Tensor{u(2, 8, 2, 3)}},
		{name: "Pad2d", f: func(v []*Var) *Var { return Pad2d(v[0], 1, 2, 0, 3, 0.5) }, inputs: []*tensor.Tensor{u(2, 2, 3, 3)}},
		{name: "Crop2d", f: func(v []*Var) *Var { return Crop2d(v[0], 1, 2, 2, 3) }, inputs: []*tensor.Tensor{u(2, 2, 4, 5)}},
	}
	runGradCases(t, cases)
}

func TestGradBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var cases []gradCase
	for _, shape := range [][]int{{2, 3, 4, 4}, {4, 2, 1, 1}, {1, 3, 3, 5}} {
		c := shape[1]
		rm, rv := randT(rng, -0.5, 0.5, c), randT(rng, 0.5, 1.5, c)
		for _, train := range []bool{true, false} {
			name := "eval"
			if train {
				name = "train"
			}
			cases = append(cases,
				gradCase{name: name, f: func(v []*Var) *Var {
					return BatchNorm2d(v[0], v[1], v[2], rm.Clone(), rv.Clone(), train, 0.1, 1e-5)
				}, inputs: []*tensor.Tensor{randT(rng, -2, 3, shape...), randT(rng, 0.5, 1.5, c), randT(rng, -1, 1, c)}},
				gradCase{name: name + "/noaffine", f: func(v []*Var) *Var {
					return BatchNorm2d(v[0], nil, nil, rm.Clone(), rv.Clone(), train, 0.1, 1e-5)
				}, inputs: []*tensor.Tensor{randT(rng, -2, 3, shape...)}},
			)
		}
		cases = append(cases, gradCase{name: "untracked", f: func(v []*Var) *Var {
			return BatchNorm2d(v[0], v[1], v[2], nil, nil, false, 0.1, 1e-5)
		}, inputs: []*tensor.Tensor{randT(rng, -2, 3, shape...), randT(rng, 0.5, 1.5, c), randT(rng, -1, 1, c)}})
	}
	runGradCases(t, cases)
}

func TestBatchNormRunningStats(t *testing.T) {
	// Hand computation for one channel of M = 4 values: mean 2.5, biased
	// variance 1.25, unbiased 5/3.
	x := Const(tensor.FromData([]float32{1, 2, 3, 4}, 2, 1, 1, 2))
	rm, rv := tensor.FromData([]float32{1}, 1), tensor.FromData([]float32{2}, 1)
	y := BatchNorm2d(x, nil, nil, rm, rv, true, 0.1, 0)
	wantRM := 0.9*1 + 0.1*2.5
	wantRV := 0.9*2 + 0.1*5.0/3
	if math.Abs(float64(rm.Data[0])-wantRM) > 1e-6 || math.Abs(float64(rv.Data[0])-wantRV) > 1e-6 {
		t.Fatalf("running stats %v %v, want %v %v", rm.Data[0], rv.Data[0], wantRM, wantRV)
	}
	for i, v := range []float64{1, 2, 3, 4} {
		want := (v - 2.5) / math.Sqrt(1.25)
		if math.Abs(float64(y.Value.Data[i])-want) > 1e-6 {
			t.Fatalf("y[%d] = %v, want %v", i, y.Value.Data[i], want)
		}
	}
	// Eval mode uses the running statistics and leaves them alone.
	y = BatchNorm2d(x, nil, nil, rm, rv, false, 0.1, 0)
	if want := (1 - wantRM) / math.Sqrt(wantRV); math.Abs(float64(y.Value.Data[0])-want) > 1e-6 {
		t.Fatalf("eval y[0] = %v, want %v", y.Value.Data[0], want)
	}
	if math.Abs(float64(rm.Data[0])-wantRM) > 1e-6 {
		t.Fatal("eval mode changed the running mean")
	}
}

func TestBatchNormPanicsOnSingleValue(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for one value per channel in training")
		}
	}()
	BatchNorm2d(Const(tensor.New(1, 2, 1, 1)), nil, nil, tensor.New(2), tensor.New(2), true, 0.1, 1e-5)
}

func TestGradCrossEntropy(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var cases []gradCase
	for _, shape := range [][]int{{2, 4, 3, 3}, {5, 3}, {1, 2, 1, 4}} {
		n, k := shape[0], shape[1]
		hw := 1
		for _, d := range shape[2:] {
			hw *= d
		}
		labels := make([]int32, n*hw)
		for i := range labels {
			labels[i] = int32(rng.IntN(k))
			if rng.IntN(4) == 0 {
				labels[i] = 255
			}
		}
		labels[0] = 0 // at least one counted pixel
		cases = append(cases, gradCase{name: "CrossEntropy", f: func(v []*Var) *Var {
			return CrossEntropy(v[0], labels, 255)
		}, inputs: []*tensor.Tensor{randT(rng, -3, 3, shape...)}})
	}
	runGradCases(t, cases)
}

func TestCrossEntropyValues(t *testing.T) {
	// Two pixels, three classes; the second pixel is ignored. Huge logits
	// check the max subtraction.
	z := Input(tensor.FromData([]float32{1000, 7, 1001, 8, 1002, 9}, 1, 3, 1, 2), true)
	loss := CrossEntropy(z, []int32{2, -1}, -1)
	// −log softmax(1000, 1001, 1002)[2] = log(1 + e⁻¹ + e⁻²).
	want := math.Log(1 + math.Exp(-1) + math.Exp(-2))
	if got := float64(loss.Value.Data[0]); math.Abs(got-want) > 1e-5 {
		t.Fatalf("loss %v, want %v", got, want)
	}
	loss.Backward()
	for _, i := range []int{1, 3, 5} {
		if z.Grad.Data[i] != 0 {
			t.Fatalf("ignored pixel has gradient %v", z.Grad.Data[i])
		}
	}

	// A confidently wrong pixel: softmax underflows to 0 for the label, the
	// loss must still be the exact margin, and the gradient finite.
	z = Input(tensor.FromData([]float32{0, 200, 3, 1}, 2, 2), true)
	loss = CrossEntropy(z, []int32{0, 1}, -1)
	want = (200 + math.Log(1+math.Exp(2))) / 2 // −log softmax(3,1)[1] = log(1+e²)
	if got := float64(loss.Value.Data[0]); math.Abs(got-want) > 1e-4 {
		t.Fatalf("underflow case: loss %v, want %v", got, want)
	}
	loss.Backward()
	if z.Grad.HasNaNOrInf() || math.Abs(float64(z.Grad.Data[0])+0.5) > 1e-6 {
		t.Fatalf("underflow case: gradient %v", z.Grad)
	}

	// Every pixel ignored: zero loss, zero gradient.
	z = Input(tensor.Full(1, 2, 3, 2, 2), true)
	loss = CrossEntropy(z, []int32{9, 9, 9, 9, 9, 9, 9, 9}, 9)
	loss.Backward()
	if loss.Value.Data[0] != 0 || tensor.Sum(z.Grad) != 0 || z.Grad.HasNaNOrInf() {
		t.Fatalf("all ignored: loss %v, grad %v", loss.Value.Data[0], z.Grad)
	}
}

func TestCrossEntropyBadLabelPanics(t *testing.T) {
	for _, bad := range []int32{3, -2} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("label %d: no panic", bad)
				}
			}()
			CrossEntropy(Const(tensor.New(1, 3, 1, 2)), []int32{0, bad}, -1)
		}()
	}
}

func TestDropout(t *testing.T) {
	x := Input(tensor.Full(1, 4, 8, 16, 16), true)
	if Dropout(x, 0.5, false, nil) != x || Dropout(x, 0, true, nil) != x {
		t.Fatal("eval or p=0 dropout is not the identity")
	}
	run := func(seed uint64, channel bool) *Var {
		rng := rand.New(rand.NewPCG(seed, 0))
		if channel {
			return Dropout2d(x, 0.25, true, rng)
		}
		return Dropout(x, 0.25, true, rng)
	}
	for _, channel := range []bool{false, true} {
		y := run(7, channel)
		zeros := 0
		for _, v := range y.Value.Data {
			switch v {
			case 0:
				zeros++
			case 1 / 0.75:
			default:
				t.Fatalf("value %v is neither 0 nor 1/(1-p)", v)
			}
		}
		frac := float64(zeros) / float64(len(y.Value.Data))
		if math.Abs(frac-0.25) > 0.1 {
			t.Fatalf("channel=%v: dropped fraction %v, want ≈0.25", channel, frac)
		}
		if channel {
			for p := 0; p < 32; p++ {
				plane := y.Value.Data[p*256 : (p+1)*256]
				for _, v := range plane {
					if v != plane[0] {
						t.Fatal("Dropout2d mixed values inside one feature map")
					}
				}
			}
		}
		y2 := run(7, channel)
		for i := range y.Value.Data {
			if y.Value.Data[i] != y2.Value.Data[i] {
				t.Fatal("same seed gave a different mask")
			}
		}
		// The gradient uses the same mask.
		x.ZeroGrad()
		Sum(y).Backward()
		for i, v := range x.Grad.Data {
			if v != y.Value.Data[i] {
				t.Fatal("gradient mask differs from forward mask")
			}
		}
	}
	if got := Dropout(x, 1, true, rand.New(rand.NewPCG(1, 1))); tensor.Sum(got.Value) != 0 {
		t.Fatal("p=1 kept something")
	}
}

func TestGradDropout(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	runGradCases(t, []gradCase{
		{name: "Dropout", f: func(v []*Var) *Var {
			return Dropout(v[0], 0.3, true, rand.New(rand.NewPCG(1, 2)))
		}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 3, 4, 4)}},
		{name: "Dropout2d", f: func(v []*Var) *Var {
			return Dropout2d(v[0], 0.5, true, rand.New(rand.NewPCG(1, 2)))
		}, inputs: []*tensor.Tensor{randT(rng, -1, 1, 2, 3, 4, 4)}},
	})
}

func TestNoGrad(t *testing.T) {
	w := Param(tensor.Full(2, 3), "w")
	restore := NoGrad()
	inner := NoGrad()
	y := Mul(w, w)
	inner()
	inner() // idempotent
	if GradEnabled() || y.RequiresGrad() {
		t.Fatal("op recorded a graph inside NoGrad")
	}
	restore()
	if !GradEnabled() {
		t.Fatal("NoGrad not restored")
	}
	y = Mul(w, w)
	if !y.RequiresGrad() {
		t.Fatal("graph not recorded after restore")
	}
}

func TestGradAccumulatesAcrossBackward(t *testing.T) {
	w := Param(tensor.FromData([]float32{3}, 1), "w")
	Sum(Square(w)).Backward()
	Sum(Square(w)).Backward()
	if w.Grad.Data[0] != 12 {
		t.Fatalf("accumulated grad %v, want 12", w.Grad.Data[0])
	}
	w.ZeroGrad()
	if w.Grad != nil {
		t.Fatal("ZeroGrad kept the gradient")
	}
}

func TestGradCheckDetectsWrongGradient(t *testing.T) {
	// An op whose VJP is off by a factor of two must fail the check.
	wrong := func(v []*Var) *Var {
		x := v[0]
		return NewOp(tensor.Scale(x.Value, 3), func(g *tensor.Tensor) {
			x.accumOwned(tensor.Scale(g, 6))
		}, x)
	}
	err := GradCheck(wrong, []*tensor.Tensor{tensor.Full(1, 4)}, 1e-2, 1e-2)
	if err == nil {
		t.Fatal("GradCheck accepted a wrong gradient")
	}
	if ge, ok := err.(*GradCheckError); !ok || ge.Failures != 4 {
		t.Fatalf("unexpected error %v", err)
	}
}

func TestReluMask(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	y := []float32{1, 0, negZero, -2, 1e-45, float32(math.Inf(1)), 3.5, -1e-45}
	g := []float32{5, 6, 7, 8, 9, 10, 11, nan}
	want := []float32{5, 0, 0, 0, 9, 10, 11, 0}
	d := make([]float32, len(y))
	reluMask(d, g, y)
	for i := range d {
		if d[i] != want[i] || math.Signbit(float64(d[i])) {
			t.Errorf("y=%v g=%v: got %v, want %v", y[i], g[i], d[i], want[i])
		}
	}
}

func TestSoftmaxVJPBlocks(t *testing.T) {
	// hw = 2800 spans two vjpBlock tasks per image; compare with a direct
	// float64 evaluation of the VJP formulas.
	rng := rand.New(rand.NewPCG(13, 13))
	n, k, hw := 2, 3, 70*40
	x := randT(rng, -3, 3, n, k, 70, 40)
	g := randT(rng, -1, 1, n, k, 70, 40)
	for _, logOut := range []bool{false, true} {
		xv := Input(x, true)
		var y *Var
		if logOut {
			y = LogSoftmaxChannels(xv)
		} else {
			y = SoftmaxChannels(xv)
		}
		y.BackwardWith(g)
		for i := 0; i < n; i++ {
			for p := 0; p < hw; p++ {
				at := func(c int) int { return (i*k+c)*hw + p }
				var mx float64 = math.Inf(-1)
				for c := 0; c < k; c++ {
					mx = math.Max(mx, float64(x.Data[at(c)]))
				}
				var z float64
				for c := 0; c < k; c++ {
					z += math.Exp(float64(x.Data[at(c)]) - mx)
				}
				var sg, sgy float64
				for c := 0; c < k; c++ {
					sm := math.Exp(float64(x.Data[at(c)])-mx) / z
					sg += float64(g.Data[at(c)])
					sgy += float64(g.Data[at(c)]) * sm
				}
				for c := 0; c < k; c++ {
					sm := math.Exp(float64(x.Data[at(c)])-mx) / z
					want := sm * (float64(g.Data[at(c)]) - sgy)
					if logOut {
						want = float64(g.Data[at(c)]) - sm*sg
					}
					if got := float64(xv.Grad.Data[at(c)]); math.Abs(got-want) > 1e-5 {
						t.Fatalf("logOut=%v image %d pixel %d class %d: %v, want %v", logOut, i, p, c, got, want)
					}
				}
			}
		}
	}
}

func TestMatMulEmpty(t *testing.T) {
	for _, d := range [][3]int{{0, 3, 2}, {2, 0, 3}, {2, 3, 0}} {
		m, k, n := d[0], d[1], d[2]
		a := Input(tensor.Full(1, m, k), true)
		b := Input(tensor.Full(1, k, n), true)
		y := MatMul(a, b)
		if !tensor.ShapeEqual(y.Value.Shape, []int{m, n}) || tensor.Sum(y.Value) != 0 {
			t.Fatalf("%v: got %v", d, y.Value)
		}
		y.BackwardWith(tensor.New(m, n))
		if len(a.Grad.Data) != m*k || len(b.Grad.Data) != k*n {
			t.Fatalf("%v: gradient shapes %v %v", d, a.Grad.Shape, b.Grad.Shape)
		}
		l := Linear(Input(tensor.New(m, k), true), Input(tensor.New(n, k), true), Input(tensor.New(n), true))
		l.BackwardWith(tensor.New(m, n))
	}
}

func TestParallelPaths(t *testing.T) {
	// Sizes large enough that zip loops, BatchNorm and CrossEntropy split
	// their work over goroutines (run with -race to check the splitting).
	rng := rand.New(rand.NewPCG(14, 14))
	x := Input(randAway(rng, 0.01, 1, 3, 4, 128, 64), true)
	g := randT(rng, -1, 1, 3, 4, 128, 64)
	Relu(x).BackwardWith(g)
	for i, v := range x.Value.Data {
		want := float32(0)
		if v > 0 {
			want = g.Data[i]
		}
		if x.Grad.Data[i] != want {
			t.Fatalf("Relu grad[%d] = %v, want %v", i, x.Grad.Data[i], want)
		}
	}

	bx := Input(randT(rng, 2, 5, 4, 6, 32, 32), true)
	y := BatchNorm2d(bx, nil, nil, nil, nil, true, 0.1, 0)
	n, c, h, w := y.Value.NCHW()
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			for _, v := range y.Value.Data[(i*c+ch)*h*w : (i*c+ch+1)*h*w] {
				s += float64(v)
				ss += float64(v) * float64(v)
			}
		}
		m := float64(n * h * w)
		if mean, vr := s/m, ss/m-(s/m)*(s/m); math.Abs(mean) > 1e-5 || math.Abs(vr-1) > 1e-4 {
			t.Fatalf("channel %d: normalised mean %v variance %v", ch, mean, vr)
		}
	}
	// The gradient of Σ y is zero through the batch statistics.
	Sum(y).Backward()
	for _, v := range bx.Grad.Data {
		if math.Abs(float64(v)) > 1e-4 {
			t.Fatalf("BatchNorm grad of Σy = %v, want 0", v)
		}
	}

	z := Input(randT(rng, -2, 2, 4, 5, 32, 32), true)
	labels := make([]int32, 4*32*32)
	for i := range labels {
		labels[i] = int32(rng.IntN(5))
	}
	CrossEntropy(z, labels, -1).Backward()
	// Each pixel's gradient sums to zero over classes (softmax − onehot).
	for i := 0; i < 4; i++ {
		for p := 0; p < 32*32; p++ {
			var s float64
			for k := 0; k < 5; k++ {
				s += float64(z.Grad.Data[(i*5+k)*32*32+p])
			}
			if math.Abs(s) > 1e-9 {
				t.Fatalf("CrossEntropy grad sums to %v at image %d pixel %d", s, i, p)
			}
		}
	}
}

// TestConv2dReLU checks the fused op against Relu(Conv2d(·)): the same
// output and the same gradients bit for bit (x, w, b), on a Winograd
// geometry, a strided one and a narrow 1×1 one, and against finite
// differences.
func TestConv2dReLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, c := range []struct {
		n, ci, h, w, co, k int
		o                  tensor.ConvOpts
	}{
		{2, 16, 9, 12, 8, 3, tensor.ConvOpts{Pad: 1}},
		{1, 3, 11, 10, 5, 3, tensor.ConvOpts{Pad: 1, Stride: 2}},
		{2, 4, 5, 6, 3, 1, tensor.ConvOpts{}},
	} {
		xv := randT(rng, -1, 1, c.n, c.ci, c.h, c.w)
		wv := randT(rng, -0.5, 0.5, c.co, c.ci, c.k, c.k)
		bv := randT(rng, -0.2, 0.2, c.co)
		run := func(fused bool) (*tensor.Tensor, [3]*tensor.Tensor) {
			x, w, b := Input(xv.Clone(), true), Param(wv.Clone(), "w"), Param(bv.Clone(), "b")
			var y *Var
			if fused {
				y = Conv2dReLU(x, w, b, c.o)
			} else {
				y = Relu(Conv2d(x, w, b, c.o))
			}
			gy := randT(rand.New(rand.NewPCG(9, 9)), -1, 1, y.Value.Shape...)
			Sum(Mul(y, Const(gy))).Backward()
			return y.Value, [3]*tensor.Tensor{x.Grad, w.Grad, b.Grad}
		}
		y1, g1 := run(true)
		y2, g2 := run(false)
		for i, pair := range [][2]*tensor.Tensor{{y1, y2}, {g1[0], g2[0]}, {g1[1], g2[1]}, {g1[2], g2[2]}} {
			for j := range pair[0].Data {
				if math.Float32bits(pair[0].Data[j]) != math.Float32bits(pair[1].Data[j]) {
					t.Fatalf("%+v: tensor %d (output, gx, gw, gb) element %d: fused %v, two ops %v", c, i, j, pair[0].Data[j], pair[1].Data[j])
				}
			}
		}
	}
	runGradCases(t, []gradCase{{
		name:   "conv2d-relu",
		f:      func(in []*Var) *Var { return Conv2dReLU(in[0], in[1], in[2], tensor.ConvOpts{Pad: 1}) },
		inputs: []*tensor.Tensor{randAway(rng, 0.2, 1, 1, 2, 5, 5), randAway(rng, 0.1, 0.5, 3, 2, 3, 3), randT(rng, -0.1, 0.1, 3)},
		tol:    5e-3,
	}})
}
