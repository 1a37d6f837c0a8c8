package flow

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

func randTensor(rng *rand.Rand, scale float64, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64() * scale)
	}
	return t
}

// perturb adds small noise to every parameter so that no layer is the
// identity (zero-initialised convolutions, fresh actnorm, priors).
func perturb(params []*autograd.Var, rng *rand.Rand, scale float64) {
	for _, p := range params {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(rng.NormFloat64() * scale)
		}
	}
}

func maxAbsDiff(a, b *tensor.Tensor) float64 {
	var m float64
	for i := range a.Data {
		m = math.Max(m, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return m
}

// testLayers returns one of each bijection on c channels, perturbed away
// from the identity.
func testLayers(c int, rng *rand.Rand) map[string]bijection {
	an := newActNorm(c, "an")
	an.inited = true
	ls := map[string]bijection{
		"actnorm":  an,
		"invconv":  newInvConv(c, "ic", rng),
		"coupling": newCoupling(c, 8, "cp", rng),
		"swap":     swapHalves{c: c},
	}
	for _, l := range ls {
		perturb(l.params(), rng, 0.3)
	}
	return ls
}

func TestLayerInverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range []int{2, 5, 12} {
		for name, l := range testLayers(c, rng) {
			x := randTensor(rng, 1, 2, c, 4, 6)
			y, _ := l.forward(autograd.Const(x))
			xr := l.inverse(y)
			if d := maxAbsDiff(x, xr.Value); d > 1e-5 {
				t.Errorf("%s c=%d: |f⁻¹(f(x)) − x| = %g", name, c, d)
			}
		}
	}
}

// numericLogDet returns log|det ∂g/∂x| at x by central differences,
// accumulated in float64, for a map g from len(x) to len(x) values.
func numericLogDet(t *testing.T, g func(x *tensor.Tensor) []float32, x *tensor.Tensor, eps float64) float64 {
	t.Helper()
	d := len(x.Data)
	jac := make([]float64, d*d)
	for j := 0; j < d; j++ {
		orig := x.Data[j]
		x.Data[j] = orig + float32(eps)
		plus := g(x)
		x.Data[j] = orig - float32(eps)
		minus := g(x)
		x.Data[j] = orig
		if len(plus) != d {
			t.Fatalf("map has %d outputs for %d inputs", len(plus), d)
		}
		for i := 0; i < d; i++ {
			step := float64(orig+float32(eps)) - float64(orig-float32(eps)) // the step float32 actually took
			jac[i*d+j] = (float64(plus[i]) - float64(minus[i])) / step
		}
	}
	return logAbsDet(jac, d)
}

func TestLayerLogDetNumeric(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []int{2, 3} {
		for name, l := range testLayers(c, rng) {
			x := randTensor(rng, 1, 1, c, 2, 2)
			_, ld := l.forward(autograd.Const(x))
			var analytic float64
			if ld != nil {
				analytic = float64(ld.Value.Data[0])
			}
			numeric := numericLogDet(t, func(x *tensor.Tensor) []float32 {
				y, _ := l.forward(autograd.Const(x))
				return y.Value.Data
			}, x.Clone(), 1e-2)
			if math.Abs(analytic-numeric) > 2e-3 {
				t.Errorf("%s c=%d: log|det J| analytic %.6f, numeric %.6f", name, c, analytic, numeric)
			}
		}
	}
}

// tinyConfigs are the flows the whole-model tests run: both kinds, both
// mixings, two levels so that factor-out and the final prior are covered.
func tinyConfigs() map[string]Config {
	return map[string]Config{
		"realnvp-swap": {Kind: RealNVP, InChannels: 3, Levels: 2, Units: 1, StepsPerUnit: 2, Width: 8, Mixing: MixSwap},
		"realnvp-1x1":  {Kind: RealNVP, InChannels: 3, Levels: 2, Units: 1, StepsPerUnit: 2, Width: 8, Mixing: MixConv1x1},
		"denseflow": {Kind: DenseFlow, InChannels: 3, Levels: 2, Units: 3, StepsPerUnit: 1, Width: 8,
			Mixing: MixConv1x1, Growth: 2, NoiseWidth: 6},
	}
}

func newTestFlow(t testing.TB, cfg Config, seed uint64) *Flow {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	f, err := New(cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Data-dependent init on a random batch, then move off the identity.
	if _, err := f.LogProb(autograd.Const(randTensor(rng, 0.2, 4, 3, 8, 8)), rng); err != nil {
		t.Fatal(err)
	}
	perturb(f.Parameters(), rng, 0.05)
	return f
}

func TestFlowInverse(t *testing.T) {
	for name, cfg := range tinyConfigs() {
		f := newTestFlow(t, cfg, 3)
		rng := rand.New(rand.NewPCG(4, 4))
		x := randTensor(rng, 0.2, 2, 3, 8, 12)
		zs, _, err := f.Forward(autograd.Const(x), rng)
		if err != nil {
			t.Fatal(err)
		}
		xr, err := f.Inverse(zs)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(x, xr.Value); d > 1e-5 {
			t.Errorf("%s: |f⁻¹(f(x)) − x| = %g", name, d)
		}
	}
}

// TestFlowLogDetNumeric checks the whole flow's log-likelihood against a
// numerical Jacobian. With cross-unit coupling the map (x, ε) → z is a
// bijection (η̂ = μ(x) + exp(ℓ(x))·ε is triangular in ε), and
// log p = log N(z) + log|det ∂z/∂(x,ε)| − log N(ε), so differentiating
// with respect to x and ε together checks every term of the bound.
func TestFlowLogDetNumeric(t *testing.T) {
	for name, cfg := range tinyConfigs() {
		f := newTestFlow(t, cfg, 5)
		rng := rand.New(rand.NewPCG(6, 6))
		const h, w = 4, 4
		x := randTensor(rng, 0.2, 1, 3, h, w)
		dx := len(x.Data)
		// Noise tensors in draw order, fixed so the map is deterministic.
		var noiseShapes [][]int
		f.noiseDraw = func(shape ...int) *tensor.Tensor {
			noiseShapes = append(noiseShapes, append([]int(nil), shape...))
			return tensor.New(shape...)
		}
		if _, _, err := f.Forward(autograd.Const(x), nil); err != nil {
			t.Fatal(err)
		}
		var noise []*tensor.Tensor
		dn := 0
		for _, s := range noiseShapes {
			nt := randTensor(rng, 1, s...)
			noise = append(noise, nt)
			dn += nt.Len()
		}
		// eval runs the flow on the packed input [x | ε].
		eval := func(in *tensor.Tensor) (zs []*autograd.Var, logp float64) {
			xi := tensor.FromData(append([]float32(nil), in.Data[:dx]...), 1, 3, h, w)
			off, k := dx, 0
			f.noiseDraw = func(shape ...int) *tensor.Tensor {
				nt := tensor.New(shape...)
				copy(nt.Data, in.Data[off:off+nt.Len()])
				off += nt.Len()
				k++
				return nt
			}
			zs, lp, err := f.Forward(autograd.Const(xi), nil)
			if err != nil {
				t.Fatal(err)
			}
			return zs, float64(lp.Value.Data[0])
		}
		in := tensor.New(dx + dn)
		copy(in.Data, x.Data)
		off := dx
		var logNEps float64
		for _, nt := range noise {
			copy(in.Data[off:], nt.Data)
			off += nt.Len()
			for _, e := range nt.Data {
				logNEps += -0.5*float64(e)*float64(e) - logSqrt2Pi
			}
		}
		zs, logp := eval(in)
		var logPz float64
		for l, z := range zs {
			logPz += float64(f.levels[l].prior.logProb(z).Value.Data[0])
		}
		analytic := logp - logPz + logNEps // = log|det ∂z/∂(x,ε)|
		numeric := numericLogDet(t, func(in *tensor.Tensor) []float32 {
			zs, _ := eval(in)
			var out []float32
			for _, z := range zs {
				out = append(out, z.Value.Data...)
			}
			return out
		}, in.Clone(), 1e-2)
		if math.Abs(analytic-numeric) > 5e-3*(1+math.Abs(numeric)/100) {
			t.Errorf("%s: log|det J| analytic %.5f, numeric %.5f", name, analytic, numeric)
		}
		f.noiseDraw = nil
	}
}

func TestSampleSizes(t *testing.T) {
	f := newTestFlow(t, tinyConfigs()["denseflow"], 8)
	rng := rand.New(rand.NewPCG(9, 9))
	for _, hw := range [][2]int{{4, 4}, {8, 12}, {16, 8}, {12, 20}} {
		x, err := f.Sample(3, hw[0], hw[1], 0.8, rng)
		if err != nil {
			t.Fatal(err)
		}
		if want := []int{3, 3, hw[0], hw[1]}; !tensor.ShapeEqual(x.Value.Shape, want) {
			t.Errorf("sample shape %v, want %v", x.Value.Shape, want)
		}
		if x.Value.HasNaNOrInf() {
			t.Errorf("sample %v has NaN/Inf", hw)
		}
	}
	if _, err := f.Sample(1, 6, 8, 1, rng); !errors.Is(err, ErrShape) {
		t.Errorf("Sample 6x8 with squeeze factor 4: err %v, want ErrShape", err)
	}
	if _, err := f.Sample(1, 8, 8, 0, rng); !errors.Is(err, ErrConfig) {
		t.Errorf("Sample with temperature 0: err %v, want ErrConfig", err)
	}
}

// TestSampleGradient checks d/dθ Σ r·Sample(θ) against central finite
// differences for entries of every parameter tensor: the gradient that joint
// training pushes from the classifier's loss into the flow.
func TestSampleGradient(t *testing.T) {
	for name, cfg := range tinyConfigs() {
		f := newTestFlow(t, cfg, 10)
		const n, h, w = 2, 4, 8
		r := randTensor(rand.New(rand.NewPCG(11, 11)), 1, n, 3, h, w)
		loss := func() (*autograd.Var, float64) {
			x, err := f.Sample(n, h, w, 0.7, rand.New(rand.NewPCG(12, 12)))
			if err != nil {
				t.Fatal(err)
			}
			var s float64
			for i, v := range x.Value.Data {
				s += float64(v) * float64(r.Data[i])
			}
			return x, s
		}
		x, _ := loss()
		for _, p := range f.Parameters() {
			p.ZeroGrad()
		}
		x.BackwardWith(r)
		checked := 0
		pick := rand.New(rand.NewPCG(13, 13))
		for _, p := range f.Parameters() {
			if strings.Contains(p.Name, ".noise.") {
				continue // noise nets do not enter the inverse
			}
			if p.Grad == nil {
				t.Errorf("%s: no gradient reached %s", name, p.Name)
				continue
			}
			for k := 0; k < 2; k++ {
				i := pick.IntN(p.Value.Len())
				const eps = 2e-3
				orig := p.Value.Data[i]
				p.Value.Data[i] = orig + eps
				_, lp := loss()
				p.Value.Data[i] = orig - eps
				_, lm := loss()
				p.Value.Data[i] = orig
				numeric := (lp - lm) / (2 * eps)
				analytic := float64(p.Grad.Data[i])
				if math.Abs(numeric-analytic) > 2e-2*(1+math.Abs(numeric)) {
					t.Errorf("%s: %s[%d]: analytic %.5f, numeric %.5f", name, p.Name, i, analytic, numeric)
				}
				checked++
			}
		}
		if checked < 10 {
			t.Errorf("%s: only %d gradient entries checked", name, checked)
		}
	}
}

// smoothImages makes 8-bit-valued images with spatial structure (colour
// gradients), which a flow can fit far better than uniform noise.
func smoothImages(rng *rand.Rand, n, h, w int) *tensor.Tensor {
	t := tensor.New(n, 3, h, w)
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			a, b, o := rng.Float64()*8, rng.Float64()*8, rng.Float64()*128
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := o + a*float64(y) + b*float64(x)
					t.Data[((i*3+c)*h+y)*w+x] = float32(math.Floor(math.Min(255, v)))
				}
			}
		}
	}
	return t
}

func TestTrainingReducesNLL(t *testing.T) {
	for name, cfg := range tinyConfigs() {
		f, err := New(cfg, rand.New(rand.NewPCG(14, 14)))
		if err != nil {
			t.Fatal(err)
		}
		opt, err := optim.NewAdamax([]optim.ParamGroup{optim.Group(3e-3, f.Parameters()...)}, optim.DefaultAdamConfig())
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(15, 15))
		data := smoothImages(rng, 8, 8, 8)
		dims := 3 * 8 * 8
		var first, last float64
		for step := 0; step < 25; step++ {
			lp, err := f.LogProb(autograd.Const(Dequantize(data, rng)), rng)
			if err != nil {
				t.Fatal(err)
			}
			bpd := BitsPerDim(lp, dims)
			opt.ZeroGrad()
			bpd.Backward()
			opt.Step()
			v := float64(bpd.Value.Data[0])
			if math.IsNaN(v) {
				t.Fatalf("%s: NaN bpd at step %d", name, step)
			}
			if step == 0 {
				first = v
			}
			last = v
		}
		if !(last < first-0.3) {
			t.Errorf("%s: bpd %.3f → %.3f after 25 steps, want a clear decrease", name, first, last)
		}
	}
}

func TestStateDictRoundTrip(t *testing.T) {
	cfg := tinyConfigs()["realnvp-1x1"]
	a := newTestFlow(t, cfg, 16)
	b, err := New(cfg, rand.New(rand.NewPCG(99, 99)))
	if err != nil {
		t.Fatal(err)
	}
	if b.Initialized() {
		t.Fatal("fresh flow claims initialised actnorm")
	}
	if err := b.LoadStateDict(a.StateDict()); err != nil {
		t.Fatal(err)
	}
	if !b.Initialized() {
		t.Error("LoadStateDict did not mark actnorm initialised")
	}
	x := autograd.Const(randTensor(rand.New(rand.NewPCG(17, 17)), 0.2, 2, 3, 8, 8))
	la, _ := a.LogProb(x, nil)
	lb, _ := b.LogProb(x, nil)
	if d := maxAbsDiff(la.Value, lb.Value); d != 0 {
		t.Errorf("log-probs differ by %g after loading the state dict", d)
	}
	sd := a.StateDict()
	delete(sd, "levels.0.prior.mean")
	if err := b.LoadStateDict(sd); !errors.Is(err, ErrConfig) {
		t.Errorf("missing key: err %v, want ErrConfig", err)
	}
	sd = a.StateDict()
	sd["levels.0.prior.mean"] = tensor.New(1)
	if err := b.LoadStateDict(sd); !errors.Is(err, ErrShape) {
		t.Errorf("wrong shape: err %v, want ErrShape", err)
	}
}

func TestParameterNamesStableAndUnique(t *testing.T) {
	cfg := tinyConfigs()["denseflow"]
	a, _ := New(cfg, rand.New(rand.NewPCG(1, 2)))
	b, _ := New(cfg, rand.New(rand.NewPCG(3, 4)))
	seen := map[string]bool{}
	for i, p := range a.Parameters() {
		if p.Name == "" || seen[p.Name] {
			t.Fatalf("parameter %d has empty or duplicate name %q", i, p.Name)
		}
		seen[p.Name] = true
		if b.Parameters()[i].Name != p.Name {
			t.Fatalf("parameter %d named %q vs %q across builds", i, p.Name, b.Parameters()[i].Name)
		}
	}
	for _, want := range []string{"levels.0.units.1.steps.0.coupling.net.4.weight", "levels.0.noise.1.0.weight", "levels.1.prior.logs", "levels.0.units.0.steps.0.invconv.lower"} {
		if !seen[want] {
			t.Errorf("missing parameter %q", want)
		}
	}
}

func TestPresetParameterPairs(t *testing.T) {
	counts := map[string]int{}
	for _, name := range PresetNames() {
		cfg, err := Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := New(cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		counts[name] = f.NumParams()
		t.Logf("%s: %d parameters", name, counts[name])
	}
	for _, size := range []string{"tiny", "small"} {
		r, d := counts["realnvp-"+size], counts["denseflow-"+size]
		if math.Abs(float64(r-d)) > 0.03*float64(r) {
			t.Errorf("%s presets differ by more than 3%% in size: realnvp %d, denseflow %d", size, r, d)
		}
	}
	if _, err := Preset("nope"); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown preset: err %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := tinyConfigs()["denseflow"]
	bad := []Config{
		{},
		func() Config { c := good; c.Growth = 0; return c }(),
		func() Config { c := good; c.Units = 1; return c }(),
		func() Config { c := good; c.Mixing = "shuffle"; return c }(),
		func() Config { c := good; c.Kind = RealNVP; return c }(),
		func() Config { c := good; c.Levels = 9; return c }(),
	}
	for i, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("config %d: err %v, want ErrConfig", i, err)
		}
	}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
}

func TestMatInverseGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 20))
	a := randTensor(rng, 0.3, 4, 4)
	for i := 0; i < 4; i++ {
		a.Data[i*4+i] += 2 // well conditioned
	}
	err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var {
		return matInverse(in[0])
	}, []*tensor.Tensor{a}, 1e-2, 1e-2)
	if err != nil {
		t.Error(err)
	}
}

func TestDequantizeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	v := tensor.New(256)
	for i := range v.Data {
		v.Data[i] = float32(i)
	}
	for _, x := range []*tensor.Tensor{Dequantize(v, rng), Center(v)} {
		for i, b := range ToBytes(x) {
			if int(b) != i {
				t.Fatalf("value %d dequantised to %g quantises back to %d", i, x.Data[i], b)
			}
			if x.Data[i] < -0.5 || x.Data[i] >= 0.5 {
				t.Fatalf("value %d dequantised to %g outside [-0.5, 0.5)", i, x.Data[i])
			}
		}
	}
	if got := BitsPerDimOf(0, 10); got != 8 {
		t.Errorf("bpd of a uniform density = %g, want 8", got)
	}
}

func TestSaveLoad(t *testing.T) {
	a := newTestFlow(t, tinyConfigs()["denseflow"], 30)
	path := t.TempDir() + "/flow.safetensors"
	if err := a.Save(path, map[string]string{"step": "7"}); err != nil {
		t.Fatal(err)
	}
	b, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["step"] != "7" || b.Config() != a.Config() {
		t.Errorf("meta %v, config %+v", meta, b.Config())
	}
	xa, _ := a.Sample(2, 8, 8, 1, rand.New(rand.NewPCG(1, 1)))
	xb, _ := b.Sample(2, 8, 8, 1, rand.New(rand.NewPCG(1, 1)))
	if d := maxAbsDiff(xa.Value, xb.Value); d != 0 {
		t.Errorf("samples differ by %g after Save/Load", d)
	}
	if err := a.Save(path, map[string]string{MetaConfig: "x"}); !errors.Is(err, ErrConfig) {
		t.Errorf("reserved key: err %v", err)
	}
}
