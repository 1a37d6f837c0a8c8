package autograd

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// torchFixture is testdata/torch_net.json, written by
// testdata/gen_torch_fixtures.py.
type torchFixture struct {
	Inputs      map[string]fixtureTensor `json:"inputs"`
	Labels      []int32                  `json:"labels"`
	IgnoreIndex int32                    `json:"ignore_index"`
	Loss        float64                  `json:"loss"`
	Grads       map[string]fixtureTensor `json:"grads"`
	Running     map[string]fixtureTensor `json:"running"`
}

type fixtureTensor struct {
	Shape []int     `json:"shape"`
	Data  []float32 `json:"data"`
}

func (f fixtureTensor) tensor() *tensor.Tensor {
	return tensor.FromData(append([]float32(nil), f.Data...), f.Shape...)
}

// TestTorchAgreement rebuilds the network of gen_torch_fixtures.py from
// autograd ops and checks the loss, the gradient of every parameter and of
// the input, and BatchNorm's updated running statistics against PyTorch.
func TestTorchAgreement(t *testing.T) {
	raw, err := os.ReadFile("testdata/torch_net.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx torchFixture
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	p := map[string]*Var{}
	for name, v := range fx.Inputs {
		if _, isGrad := fx.Grads[name]; isGrad {
			p[name] = Param(v.tensor(), name)
		}
	}
	running := map[string]*tensor.Tensor{}
	for name := range fx.Running {
		running[name] = fx.Inputs[name].tensor()
	}
	x := p["x"]
	_, _, h, w := x.Value.NCHW()

	h1 := Relu(BatchNorm2d(Conv2d(x, p["conv1.weight"], p["conv1.bias"], tensor.ConvOpts{Pad: 1}),
		p["bn1.weight"], p["bn1.bias"], running["bn1.running_mean"], running["bn1.running_var"], true, 0.1, 1e-5))
	a := Conv2d(h1, p["conv2.weight"], p["conv2.bias"], tensor.ConvOpts{Stride: 2, Pad: 1})
	m := MaxPool2d(a, 3, 1, 1)
	u := ResizeBilinear(AvgPool2d(a, 2, 2, 0), 4, 4)
	b := Add(Mul(Tanh(m), Sigmoid(u)), Softplus(a))
	tt := ConvTranspose2d(b, p["up.weight"], p["up.bias"], tensor.ConvOpts{Stride: 2, Pad: 1}, 1)
	tt = BatchNorm2d(tt, p["bn2.weight"], p["bn2.bias"], running["bn2.running_mean"], running["bn2.running_var"], false, 0.1, 1e-5)
	tt = Crop2d(Pad2d(tt, 2, 1, 1, 2, 0.3), 2, 1, h, w)
	h1s := Split(h1, 1, 3)
	c := Concat(h1s[1], tt, h1s[0])
	c = AddChannel(MulChannel(c, p["gate"]), p["shift"])
	c = Add(c, ResizeBilinear(AdaptiveAvgPool2d(c, 3, 5), h, w))
	d := Unsqueeze2d(Conv2d(Squeeze2d(c, 2), p["mix.weight"], p["mix.bias"], tensor.ConvOpts{}), 2)
	d = LeakyRelu(d, 0.1)
	logits := Conv2d(d, p["head.weight"], p["head.bias"], tensor.ConvOpts{Pad: 1})
	ce := CrossEntropy(logits, fx.Labels, fx.IgnoreIndex)

	n := x.Value.Shape[0]
	g := Reshape(AdaptiveAvgPool2d(c, 1, 1), n, -1)
	lin := Linear(g, p["fc.weight"], p["fc.bias"])
	q := Reshape(SoftmaxChannels(lin), n, 3)
	r := MatMul(q, p["proj"])
	aux := Add(Mean(Square(Sub(r, Const(fx.Inputs["target"].tensor())))),
		Scale(Sum(Div(Exp(LogSoftmaxChannels(lin)), AddScalar(q, 1))), 0.1))
	aux = Add(aux, Scale(Sum(Log(AddScalar(Exp(Neg(lin)), 2))), 0.01))
	loss := Add(ce, Scale(aux, 0.5))
	loss.Backward()

	if got := float64(loss.Value.Data[0]); math.Abs(got-fx.Loss) > 1e-5*math.Abs(fx.Loss) {
		t.Errorf("loss %.8g, PyTorch %.8g", got, fx.Loss)
	}
	names := make([]string, 0, len(fx.Grads))
	for name := range fx.Grads {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := p[name]
		if v.Grad == nil {
			t.Errorf("%s: no gradient", name)
			continue
		}
		compareTorch(t, "grad "+name, v.Grad, fx.Grads[name].tensor())
	}
	for name, want := range fx.Running {
		compareTorch(t, name, running[name], want.tensor())
	}
}

// compareTorch requires |got − want| ≤ 1e-4·(|want| + max|want|) + 1e-6
// element by element: relative for large entries, scaled by the tensor's
// magnitude for entries near zero, where float32 summation order
// dominates. The absolute 1e-6 covers gradients that are zero in exact
// arithmetic (a conv bias followed by training-mode BatchNorm), where both
// sides hold rounding noise around 1e-8.
func compareTorch(t *testing.T, name string, got, want *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(got, want) {
		t.Errorf("%s: shape %v, PyTorch %v", name, got.Shape, want.Shape)
		return
	}
	var scale float64
	for _, v := range want.Data {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	worst, at := 0.0, -1
	for i, v := range want.Data {
		d := math.Abs(float64(got.Data[i]) - float64(v))
		r := d / (1e-4*(math.Abs(float64(v))+scale) + 1e-6)
		if !(r <= worst) {
			worst, at = r, i
		}
	}
	t.Logf("%s: worst element at %.3f of the tolerance", name, worst)
	if worst > 1 {
		t.Errorf("%s: element %d is %.8g, PyTorch %.8g (%.2f× the tolerance)", name, at, got.Data[at], want.Data[at], worst)
	}
}
