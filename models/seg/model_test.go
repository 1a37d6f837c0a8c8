package seg

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// The interfaces of package ood (seg_api.md), restated here so that this
// package's tests do not depend on ood's build state.
type (
	oodModel interface {
		Logits(images *tensor.Tensor) (*tensor.Tensor, error)
	}
	gradModel interface {
		oodModel
		ForwardVar(x *autograd.Var) *autograd.Var
	}
	stochasticModel interface {
		oodModel
		StochasticLogits(images *tensor.Tensor, rng *rand.Rand) (*tensor.Tensor, error)
	}
	featureModel interface {
		oodModel
		Features(images *tensor.Tensor) (*tensor.Tensor, error)
		LogitsFromFeatures(f *tensor.Tensor, h, w int) (*tensor.Tensor, error)
	}
)

var (
	_ nn.Module       = (*Model)(nil)
	_ nn.ModeSetter   = (*Model)(nil)
	_ gradModel       = (*Model)(nil)
	_ stochasticModel = (*Model)(nil)
	_ featureModel    = (*Model)(nil)
)

// testConfig is a very small 3-block model (stride 16) for fast tests.
func testConfig(classes int) Config {
	return Config{NumClasses: classes, StemWidth: 8, Growth: 4, BlockLayers: []int{1, 2, 1}, Bottleneck: 2,
		Compression: 0.5, SPPWidth: 8, SPPGrids: []int{1, 2}, DecoderWidth: 8, Dropout: 0.2}
}

func newTestModel(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randImages(rng *rand.Rand, n, h, w int) *tensor.Tensor {
	x := tensor.New(n, 3, h, w)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}

func equalData(a, b *tensor.Tensor) bool {
	if !tensor.ShapeEqual(a.Shape, b.Shape) {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	return true
}

func TestPresets(t *testing.T) {
	for _, name := range Presets() {
		cfg, err := PresetConfig(name, 13)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Preset != name || cfg.NumClasses != 13 || cfg.Stride() != 32 {
			t.Errorf("%s: got %+v", name, cfg)
		}
	}
	if _, err := PresetConfig("huge", 3); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown preset: err = %v", err)
	}
	// Presets are copied: editing one config must not change the next.
	a, _ := PresetConfig("tiny", 2)
	a.BlockLayers[0] = 99
	b, _ := PresetConfig("tiny", 2)
	if b.BlockLayers[0] == 99 {
		t.Error("PresetConfig shares slices between calls")
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.NumClasses = 0 },
		func(c *Config) { c.Growth = 0 },
		func(c *Config) { c.BlockLayers = nil },
		func(c *Config) { c.BlockLayers = []int{1, 0} },
		func(c *Config) { c.Compression = 0 },
		func(c *Config) { c.SPPGrids = nil },
		func(c *Config) { c.Dropout = 1 },
		func(c *Config) { c.Bottleneck = -1 },
		func(c *Config) { c.Growth = 5000 },
		func(c *Config) { c.Growth, c.BlockLayers = 1000, []int{100, 100, 100} },
		func(c *Config) { c.OutputStride = 8 },
		func(c *Config) { c.OutputStride, c.FineWidth = 2, -1 },
	}
	for i, f := range bad {
		c := testConfig(3)
		f(&c)
		if _, err := New(c, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, ErrConfig) {
			t.Errorf("case %d: err = %v, want ErrConfig", i, err)
		}
	}
}

// TestConvWeights checks the allocation guard's estimate against the
// built model: convolution weights are all parameters but batch-norm
// affines and biases.
func TestConvWeights(t *testing.T) {
	for _, name := range append(Presets(), "tiny/2", "small/2") {
		cfg, _ := PresetConfig(strings.TrimSuffix(name, "/2"), 13)
		if strings.HasSuffix(name, "/2") {
			cfg.OutputStride = 2
		}
		m := newTestModel(t, cfg, 1)
		var conv int64
		for _, p := range nn.NamedParameters(m) {
			if p.Var.Value.Dims() == 4 {
				conv += int64(len(p.Var.Value.Data))
			}
		}
		if got := cfg.convWeights(); got != conv {
			t.Errorf("%s: convWeights %d, model has %d", name, got, conv)
		}
	}
}

func TestShapesAtOddSizes(t *testing.T) {
	for _, stride := range []int{4, 2} {
		cfg := testConfig(5)
		cfg.OutputStride, cfg.FineWidth = stride, 6
		checkShapes(t, newTestModel(t, cfg, 1))
	}
}

func checkShapes(t *testing.T, m *Model) {
	rng := rand.New(rand.NewPCG(2, 2))
	fs, fw := m.FeatureStride(), m.Config().FeatureWidth()
	for _, sz := range [][3]int{{2, 37, 53}, {1, 16, 16}, {2, 17, 31}, {1, 5, 70}} {
		n, h, w := sz[0], sz[1], sz[2]
		x := randImages(rng, n, h, w)
		ph, pw := m.PaddedSize(h, w)
		// Batch norm needs two values per channel in training mode, also
		// on the coarsest grid.
		if n*(ph/16)*(pw/16) >= 2 {
			nn.Train(m)
			y := m.Forward(autograd.Const(x))
			if want := []int{n, 5, h, w}; !tensor.ShapeEqual(y.Value.Shape, want) {
				t.Errorf("train %dx%d: logits %v, want %v", h, w, y.Value.Shape, want)
			}
		}
		logits, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{n, 5, h, w}; !tensor.ShapeEqual(logits.Shape, want) {
			t.Errorf("eval %dx%d: logits %v, want %v", h, w, logits.Shape, want)
		}
		f, err := m.Features(x)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{n, fw, ph / fs, pw / fs}; !tensor.ShapeEqual(f.Shape, want) {
			t.Errorf("%dx%d: features %v, want %v", h, w, f.Shape, want)
		}
		for _, v := range f.Data {
			if v < 0 {
				t.Fatalf("features must be post-ReLU, got %g", v)
			}
		}
	}
}

func TestForwardEqualsClassifyFeatures(t *testing.T) {
	m := newTestModel(t, testConfig(4), 3)
	x := randImages(rand.New(rand.NewPCG(3, 3)), 2, 23, 41)
	nn.Eval(m)
	a := m.Forward(autograd.Const(x)).Value
	b := m.Classify(m.ForwardFeatures(autograd.Const(x)), 23, 41).Value
	if !equalData(a, b) {
		t.Error("eval: Forward != Classify(ForwardFeatures)")
	}
	// In training mode too, with the same dropout masks and (twice-updated)
	// batch statistics that do not affect the batch-statistics output.
	nn.Train(m)
	m.SetDropoutRNG(rand.New(rand.NewPCG(9, 9)))
	a = m.Forward(autograd.Const(x)).Value
	m.SetDropoutRNG(rand.New(rand.NewPCG(9, 9)))
	b = m.Classify(m.ForwardFeatures(autograd.Const(x)), 23, 41).Value
	if !equalData(a, b) {
		t.Error("train: Forward != Classify(ForwardFeatures)")
	}
	f, err := m.Features(x)
	if err != nil {
		t.Fatal(err)
	}
	l1, err := m.LogitsFromFeatures(f, 23, 41)
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := m.Logits(x)
	if !equalData(l1, l2) {
		t.Error("LogitsFromFeatures(Features(x)) != Logits(x)")
	}
	if !m.Training() {
		t.Error("tensor helpers did not restore training mode")
	}
	if _, err := m.LogitsFromFeatures(f, 40, 41); !errors.Is(err, ErrInput) {
		t.Errorf("mismatched size: err = %v", err)
	}
	if _, err := m.Logits(tensor.New(1, 4, 8, 8)); !errors.Is(err, ErrInput) {
		t.Errorf("4-channel input: err = %v", err)
	}
}

func TestEvalIsDeterministicAndModeRestored(t *testing.T) {
	m := newTestModel(t, testConfig(3), 4)
	x := randImages(rand.New(rand.NewPCG(4, 4)), 1, 20, 20)
	nn.Eval(m)
	a, _ := m.Logits(x)
	b, _ := m.Logits(x)
	if !equalData(a, b) {
		t.Error("Logits is not deterministic")
	}
	if m.Training() {
		t.Error("Logits switched an eval model to training")
	}
}

func TestStochasticLogits(t *testing.T) {
	m := newTestModel(t, testConfig(3), 5)
	x := randImages(rand.New(rand.NewPCG(5, 5)), 1, 16, 24)
	a, err := m.StochasticLogits(x, rand.New(rand.NewPCG(1, 0)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.StochasticLogits(x, rand.New(rand.NewPCG(1, 0)))
	c, _ := m.StochasticLogits(x, rand.New(rand.NewPCG(2, 0)))
	if !equalData(a, b) {
		t.Error("same rng, different MC-dropout passes")
	}
	if equalData(a, c) {
		t.Error("different rngs gave identical MC-dropout passes")
	}
	if !m.Training() {
		t.Error("StochasticLogits did not restore training mode")
	}
	nn.Eval(m)
	d, _ := m.Logits(x)
	if equalData(a, d) {
		t.Error("MC-dropout pass equals the deterministic pass")
	}
	cfg := testConfig(3)
	cfg.Dropout = 0
	m0 := newTestModel(t, cfg, 5)
	if _, err := m0.StochasticLogits(x, rand.New(rand.NewPCG(1, 0))); !errors.Is(err, ErrConfig) {
		t.Errorf("no dropout: err = %v", err)
	}
}

func TestForwardVarGradient(t *testing.T) {
	m := newTestModel(t, testConfig(3), 6)
	nn.Train(m)
	xv := autograd.Input(randImages(rand.New(rand.NewPCG(6, 6)), 1, 16, 16), true)
	y := m.ForwardVar(xv)
	if !m.Training() {
		t.Error("ForwardVar did not restore training mode")
	}
	// The value is the eval-mode forward.
	ref, _ := m.Logits(xv.Value)
	if !equalData(y.Value, ref) {
		t.Error("ForwardVar value != Logits")
	}
	autograd.Sum(y).Backward()
	if xv.Grad == nil || tensor.Sum(tensor.Map(xv.Grad, func(v float32) float32 { return v * v })) == 0 {
		t.Fatal("no input gradient")
	}
	// Central difference along the unit gradient direction d: the
	// directional derivative is ∇·d = ‖∇‖.
	var norm float64
	for _, v := range xv.Grad.Data {
		norm += float64(v) * float64(v)
	}
	norm = math.Sqrt(norm)
	f := func(s float64) float64 {
		x := xv.Value.Clone()
		for i := range x.Data {
			x.Data[i] += float32(s * float64(xv.Grad.Data[i]) / norm)
		}
		l, _ := m.Logits(x)
		return tensor.Sum(l)
	}
	const eps = 1e-2
	numeric := (f(eps) - f(-eps)) / (2 * eps)
	if math.Abs(numeric-norm) > 0.03*norm {
		t.Errorf("directional derivative %g, analytic %g", numeric, norm)
	}
}

func TestParamGroupsAndNames(t *testing.T) {
	m := newTestModel(t, testConfig(3), 7)
	enc, dec := m.EncoderParams(), m.DecoderParams()
	if len(enc)+len(dec) != len(nn.Parameters(m)) || len(enc) == 0 || len(dec) == 0 {
		t.Fatalf("groups %d + %d != %d", len(enc), len(dec), len(nn.Parameters(m)))
	}
	for _, p := range enc {
		if !strings.HasPrefix(p.Name, "encoder.") {
			t.Errorf("encoder param %q", p.Name)
		}
	}
	sd := nn.StateDict(m)
	for _, k := range []string{"encoder.conv0.weight", "encoder.denseblock1.denselayer1.norm1.running_mean",
		"encoder.denseblock1.denselayer1.conv1.weight", "encoder.transition1.conv.weight",
		"decoder.spp.branches.0.bias", "decoder.ladder.0.blend_conv.weight", "decoder.head_norm.weight", "decoder.logits.bias"} {
		if _, ok := sd[k]; !ok {
			t.Errorf("state dict lacks %q", k)
		}
	}
}

func TestFLOPs(t *testing.T) {
	cfg, _ := PresetConfig("tiny", 13)
	m := newTestModel(t, cfg, 8)
	a, b := m.FLOPs(128, 256), m.FLOPs(256, 512)
	if a <= 0 || float64(b)/float64(a) < 3.9 || float64(b)/float64(a) > 4.1 {
		t.Errorf("FLOPs(128x256) = %d, FLOPs(256x512) = %d: not ~4x", a, b)
	}
	// The first stem convolution alone: 2·(64·128 outputs)·12 channels·27.
	if a < 2*64*128*12*27 {
		t.Errorf("FLOPs %d below the stem's", a)
	}
	if !m.Training() {
		t.Error("FLOPs did not restore training mode")
	}
}

// TestLearnsTinyBatch checks that the network can fit a small batch: the
// loss falls and pixel accuracy ends well above chance.
func TestLearnsTinyBatch(t *testing.T) {
	m := newTestModel(t, testConfig(3), 9)
	rng := rand.New(rand.NewPCG(9, 9))
	const n, h, w = 2, 24, 32
	x := tensor.New(n, 3, h, w)
	labels := make([]int32, n*h*w)
	// Class = which third of the image (by a column threshold shifted per
	// image), with the colour of the class plus noise.
	for b := 0; b < n; b++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				c := (xx + 4*b) * 3 / (w + 4)
				labels[(b*h+y)*w+xx] = int32(c)
				for ch := 0; ch < 3; ch++ {
					v := float32(rng.NormFloat64()) * 0.3
					if ch == c {
						v += 1
					}
					x.Data[((b*3+ch)*h+y)*w+xx] = v
				}
			}
		}
	}
	opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-2, nn.Parameters(m)...)}, optim.DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	var first, last float32
	for i := 0; i < 40; i++ {
		opt.ZeroGrad()
		loss := autograd.CrossEntropy(m.Forward(autograd.Const(x)), labels, 255)
		loss.Backward()
		opt.Step()
		if i == 0 {
			first = loss.Value.Data[0]
		}
		last = loss.Value.Data[0]
	}
	if !(last < first/2) {
		t.Errorf("loss %g -> %g did not halve", first, last)
	}
}

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }
