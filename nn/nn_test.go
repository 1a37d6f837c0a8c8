package nn

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// block, encoder and net mirror the PyTorch classes of testdata/gen_nn.py:
// user models are plain structs listing their members.
type block struct {
	conv1, conv2 *Conv2d
	bn1, bn2     *BatchNorm2d
}

func newBlock(rng *rand.Rand, c int) *block {
	return &block{
		conv1: NewConv2d(rng, c, c, 3, 1, 1, 1, false), bn1: NewBatchNorm2d(c),
		conv2: NewConv2d(rng, c, c, 3, 1, 2, 2, false), bn2: NewBatchNorm2d(c),
	}
}

func (b *block) Members() Members {
	return Members{Children: []NamedModule{{"conv1", b.conv1}, {"bn1", b.bn1}, {"conv2", b.conv2}, {"bn2", b.bn2}}}
}

func (b *block) Forward(x *autograd.Var) *autograd.Var {
	y := autograd.Relu(b.bn1.Forward(b.conv1.Forward(x)))
	return autograd.Relu(autograd.Add(b.bn2.Forward(b.conv2.Forward(y)), x))
}

type encoder struct {
	stem   *Conv2d
	layer1 *Sequential
}

func (e *encoder) Members() Members {
	return Members{Children: []NamedModule{{"stem", e.stem}, {"layer1", e.layer1}}}
}

type net struct {
	encoder *encoder
	up      *ConvTranspose2d
	head    *Sequential
	fc      *Linear
}

func newNet(rng *rand.Rand) *net {
	return &net{
		encoder: &encoder{stem: NewConv2d(rng, 3, 4, 3, 2, 1, 1, true), layer1: NewSequential(newBlock(rng, 4))},
		up:      NewConvTranspose2d(rng, 4, 4, 3, 2, 1, 1, true, 1),
		head:    NewSequential(LeakyReLU{Slope: 0.1}, NewConv2d(rng, 4, 3, 1, 1, 0, 1, true)),
		fc:      NewLinear(rng, 3, 2, true),
	}
}

func (n *net) Members() Members {
	return Members{Children: []NamedModule{{"encoder", n.encoder}, {"up", n.up}, {"head", n.head}, {"fc", n.fc}}}
}

func (n *net) forward(x *autograd.Var) (logits, out *autograd.Var) {
	f := n.encoder.layer1.Forward(n.encoder.stem.Forward(x))
	logits = n.head.Forward(n.up.Forward(f))
	nb, c, _, _ := logits.Value.NCHW()
	pooled := autograd.Reshape(autograd.AdaptiveAvgPool2d(logits, 1, 1), nb, c)
	return logits, n.fc.Forward(pooled)
}

type nnRef struct {
	Order      []string `json:"order"`
	StateOrder []string `json:"state_order"`
	State      map[string]struct {
		Shape  []int     `json:"shape"`
		Values []float32 `json:"values"`
	} `json:"state"`
	X            []float32            `json:"x"`
	Labels       []int32              `json:"labels"`
	TrainLogits  []float32            `json:"train_logits"`
	TrainOut     []float32            `json:"train_out"`
	Loss         float64              `json:"loss"`
	Grads        map[string][]float32 `json:"grads"`
	BuffersAfter map[string][]float32 `json:"buffers_after"`
	EvalLogits   []float32            `json:"eval_logits"`
	EvalOut      []float32            `json:"eval_out"`
}

func loadNNRef(t *testing.T) *nnRef {
	t.Helper()
	b, err := os.ReadFile("testdata/nn_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r nnRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %.7g, torch %.7g", what, i, got[i], want[i])
		}
	}
}

// TestMatchesPyTorchModel rebuilds gen_nn.py's model from nn layers, loads
// torch's weights through LoadStateDict and checks names, parameter order,
// train-mode outputs, gradients, running statistics and eval outputs.
func TestMatchesPyTorchModel(t *testing.T) {
	ref := loadNNRef(t)
	m := newNet(rand.New(rand.NewPCG(1, 1)))

	named := NamedParameters(m)
	if len(named) != len(ref.Order) {
		t.Fatalf("%d parameters, torch has %d", len(named), len(ref.Order))
	}
	for i, p := range named {
		if p.Name != ref.Order[i] || p.Var.Name != ref.Order[i] {
			t.Errorf("parameter %d is %q (Var.Name %q), torch %q", i, p.Name, p.Var.Name, ref.Order[i])
		}
	}
	sd := map[string]*tensor.Tensor{}
	for k, v := range ref.State {
		sd[k] = tensor.FromData(v.Values, v.Shape...)
	}
	if err := LoadStateDict(m, sd); err != nil {
		t.Fatal(err)
	}
	if own := StateDict(m); len(own) != len(ref.StateOrder) {
		t.Fatalf("state dict has %d entries, torch %d", len(own), len(ref.StateOrder))
	}

	x := autograd.Const(tensor.FromData(ref.X, 2, 3, 8, 8))
	Train(m)
	logits, out := m.forward(x)
	loss := autograd.Add(autograd.CrossEntropy(logits, ref.Labels, -100), autograd.Mean(autograd.Square(out)))
	loss.Backward()
	compare(t, "train logits", logits.Value.Data, ref.TrainLogits, 1e-5)
	compare(t, "train fc", out.Value.Data, ref.TrainOut, 1e-5)
	compare(t, "loss", loss.Value.Data, []float32{float32(ref.Loss)}, 1e-6)
	for _, p := range named {
		if p.Var.Grad == nil {
			t.Fatalf("%s: no gradient", p.Name)
		}
		compare(t, "grad "+p.Name, p.Var.Grad.Data, ref.Grads[p.Name], 1e-4)
	}
	for _, b := range Buffers(m) {
		compare(t, b.Name+" after one step", b.Tensor.Data, ref.BuffersAfter[b.Name], 1e-5)
	}

	Eval(m)
	logits, out = m.forward(x)
	compare(t, "eval logits", logits.Value.Data, ref.EvalLogits, 1e-5)
	compare(t, "eval fc", out.Value.Data, ref.EvalOut, 1e-5)
}

func TestLoadStateDictErrors(t *testing.T) {
	m := NewSequential(NewConv2d(rand.New(rand.NewPCG(1, 2)), 2, 3, 3, 1, 1, 1, true), NewBatchNorm2d(3))
	good := func() map[string]*tensor.Tensor {
		sd := map[string]*tensor.Tensor{}
		for k, v := range StateDict(m) {
			sd[k] = v.Clone()
		}
		return sd
	}
	before := StateDict(m)["0.weight"].Clone()
	cases := []struct {
		mutate func(map[string]*tensor.Tensor)
		want   string
	}{
		{func(sd map[string]*tensor.Tensor) { delete(sd, "1.running_var") }, `nn: state dict is missing "1.running_var"`},
		{func(sd map[string]*tensor.Tensor) { sd["2.weight"] = tensor.New(1) }, `nn: state dict has unexpected entry "2.weight"`},
		{func(sd map[string]*tensor.Tensor) { sd["0.weight"] = tensor.New(3, 2, 1, 9) }, `nn: state dict entry "0.weight" has shape [3 2 1 9], model has [3 2 3 3]`},
	}
	for _, c := range cases {
		sd := good()
		for _, v := range sd {
			v.Fill(7) // would be visible if a failed load wrote anything
		}
		c.mutate(sd)
		if err := LoadStateDict(m, sd); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	if got := StateDict(m)["0.weight"]; got.Data[0] != before.Data[0] {
		t.Fatal("failed LoadStateDict modified the model")
	}
}

func TestDefaultInitMatchesPyTorchBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := NewConv2d(rng, 16, 64, 3, 1, 1, 1, true)
	bound := 1 / math.Sqrt(16*9)
	var ss float64
	for _, v := range c.Weight.Value.Data {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("weight %v outside ±%v", v, bound)
		}
		ss += float64(v) * float64(v)
	}
	// U(−b, b) has variance b²/3.
	if got, want := ss/float64(len(c.Weight.Value.Data)), bound*bound/3; math.Abs(got-want) > 0.05*want {
		t.Errorf("weight variance %v, want %v", got, want)
	}
	for _, v := range c.Bias.Value.Data {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("bias %v outside ±%v", v, bound)
		}
	}
	// ConvTranspose2d: fan_in is weight dim 1 (out channels) × k², as in torch.
	ct := NewConvTranspose2d(rng, 64, 2, 2, 2, 0, 0, false, 1)
	ctBound := 1 / math.Sqrt(2*4)
	maxAbs := 0.0
	for _, v := range ct.Weight.Value.Data {
		maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
	}
	if maxAbs > ctBound || maxAbs < 0.9*ctBound {
		t.Errorf("ConvTranspose2d weights reach %v, want just under %v", maxAbs, ctBound)
	}
	// Same seed, same model.
	a := NewLinear(rand.New(rand.NewPCG(9, 9)), 5, 4, true)
	b := NewLinear(rand.New(rand.NewPCG(9, 9)), 5, 4, true)
	for i := range a.Weight.Value.Data {
		if a.Weight.Value.Data[i] != b.Weight.Value.Data[i] {
			t.Fatal("same seed gave different weights")
		}
	}
}

func TestInitializers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	w := tensor.New(256, 128, 3, 3)
	in, out := Fans(w.Shape)
	if in != 128*9 || out != 256*9 {
		t.Fatalf("Fans = %d, %d", in, out)
	}
	std := func() float64 {
		var s float64
		for _, v := range w.Data {
			s += float64(v) * float64(v)
		}
		return math.Sqrt(s / float64(len(w.Data)))
	}
	checks := []struct {
		name string
		fill func()
		want float64
	}{
		{"kaiming normal fan_out relu", func() { KaimingNormal(rng, w, out, Gain(GainReLU, 0)) }, math.Sqrt2 / math.Sqrt(float64(out))},
		{"kaiming uniform fan_in", func() { KaimingUniform(rng, w, in, 1) }, 1 / math.Sqrt(float64(in))},
		{"xavier uniform", func() { XavierUniform(rng, w, 1) }, math.Sqrt(2 / float64(in+out))},
		{"xavier normal tanh", func() { XavierNormal(rng, w, Gain(GainTanh, 0)) }, 5.0 / 3 * math.Sqrt(2/float64(in+out))},
	}
	for _, c := range checks {
		c.fill()
		if got := std(); math.Abs(got-c.want) > 0.01*c.want {
			t.Errorf("%s: std %v, want %v", c.name, got, c.want)
		}
	}
	Zeros(w)
	if w.Data[17] != 0 {
		t.Error("Zeros")
	}
	Ones(w)
	if w.Data[17] != 1 {
		t.Error("Ones")
	}
	if g := Gain(GainLeakyReLU, math.Sqrt(5)); math.Abs(g-math.Sqrt(1.0/3)) > 1e-15 {
		t.Errorf("leaky gain %v", g)
	}
}

func TestModesAndFreezing(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	bn := NewBatchNorm2d(2)
	drop := NewDropout2d(rng, 0.5)
	m := NewSequential(NewConv2d(rng, 1, 2, 1, 1, 0, 1, false), bn, drop, ReLU{})
	x := autograd.Const(tensor.FromData([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 1, 2, 2))
	m.Forward(x)
	if bn.NumBatchesTracked.Data[0] != 1 || bn.RunningMean.Data[0] == 0 {
		t.Fatal("training forward did not update running statistics")
	}
	Eval(m)
	if bn.Training() {
		t.Fatal("Eval left BatchNorm in training mode")
	}
	y1 := m.Forward(x).Value.Clone()
	y2 := m.Forward(x).Value
	for i := range y1.Data {
		if y1.Data[i] != y2.Data[i] {
			t.Fatal("eval forward is not deterministic (dropout active?)")
		}
	}
	if bn.NumBatchesTracked.Data[0] != 1 {
		t.Fatal("eval forward updated the batch counter")
	}
	// FreezeBatchNorm: batch norm on running statistics, dropout still on.
	Train(m)
	FreezeBatchNorm(m)
	if bn.Training() || !drop.Training() {
		t.Fatalf("after FreezeBatchNorm: bn training %v, dropout training %v", bn.Training(), drop.Training())
	}
	mean := bn.RunningMean.Clone()
	m.Forward(x)
	if bn.NumBatchesTracked.Data[0] != 1 || bn.RunningMean.Data[0] != mean.Data[0] {
		t.Fatal("a frozen batch norm updated its statistics")
	}
	SetRequiresGrad(m, false)
	for _, p := range Parameters(m) {
		if p.RequiresGrad() {
			t.Fatalf("%s still requires a gradient", p.Name)
		}
	}
	if n := NumParams(m); n != 2+2+2 {
		t.Fatalf("NumParams = %d, want 6", n)
	}
	names := strings.Join(func() []string {
		var s []string
		for _, b := range Buffers(m) {
			s = append(s, b.Name)
		}
		return s
	}(), ",")
	if names != "1.running_mean,1.running_var,1.num_batches_tracked" {
		t.Fatalf("buffers %s", names)
	}
}

func TestModuleListAndSharedParameters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	shared := NewConv2d(rng, 2, 2, 1, 1, 0, 1, false)
	l := ModuleList{NewLinear(rng, 2, 3, true), shared, shared}
	var names []string
	for _, p := range NamedParameters(l) {
		names = append(names, p.Name)
	}
	// A module registered twice contributes its parameters once, under the
	// first name, as torch's named_parameters does.
	if got := strings.Join(names, ","); got != "0.weight,0.bias,1.weight" {
		t.Fatalf("names %s", got)
	}
	if shared.Weight.Name != "1.weight" {
		t.Fatalf("Var.Name %q", shared.Weight.Name)
	}
}
