package optim

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// reference is testdata/optim_ref.json, written by testdata/gen_optim.py.
type reference struct {
	Torch string `json:"torch"`
	Optim []struct {
		Name   string  `json:"name"`
		Shapes [][]int `json:"shapes"`
		Groups []struct {
			Params []int   `json:"params"`
			LR     float64 `json:"lr"`
		} `json:"groups"`
		Init  [][]float32   `json:"init"`
		Grads [][][]float32 `json:"grads"`
		After [][][]float32 `json:"after"`
	} `json:"optim"`
	Cosine []struct {
		Base   []float64   `json:"base"`
		TMax   int         `json:"t_max"`
		EtaMin float64     `json:"eta_min"`
		LRs    [][]float64 `json:"lrs"`
	} `json:"cosine"`
	Clip []struct {
		MaxNorm float64     `json:"max_norm"`
		Shapes  [][]int     `json:"shapes"`
		Grads   [][]float32 `json:"grads"`
		Norm    float64     `json:"norm"`
		Clipped [][]float32 `json:"clipped"`
	} `json:"clip"`
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, err := os.ReadFile("testdata/optim_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// newByName builds the optimizer matching a case of gen_optim.py.
func newByName(name string, groups []ParamGroup) (Optimizer, error) {
	withLR := func(lr, wd float64) []ParamGroup {
		for i := range groups {
			if groups[i].LR == 0 {
				groups[i].LR = lr
			}
			groups[i].WeightDecay = wd
		}
		return groups
	}
	switch name {
	case "sgd":
		return NewSGD(withLR(0.1, 0), SGDConfig{})
	case "sgd_momentum":
		return NewSGD(withLR(0.05, 0), SGDConfig{Momentum: 0.9})
	case "sgd_momentum_dampening_wd":
		return NewSGD(withLR(0.05, 1e-2), SGDConfig{Momentum: 0.9, Dampening: 0.1})
	case "sgd_nesterov_wd":
		return NewSGD(withLR(0.05, 5e-4), SGDConfig{Momentum: 0.9, Nesterov: true})
	case "adam", "adam_groups":
		return NewAdam(withLR(1e-3, 0), DefaultAdamConfig())
	case "adam_betas_eps_wd":
		return NewAdam(withLR(3e-3, 1e-2), AdamConfig{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6})
	case "adamw":
		cfg := DefaultAdamConfig()
		cfg.Decoupled = true
		return NewAdam(withLR(1e-3, 1e-2), cfg)
	case "adamax", "adamax_groups":
		return NewAdamax(withLR(2e-3, 0), DefaultAdamConfig())
	case "adamax_wd":
		return NewAdamax(withLR(2e-3, 1e-2), AdamConfig{Beta1: 0.8, Beta2: 0.99, Eps: 1e-6})
	}
	return nil, nil
}

func closeF32(got, want float32, rel, abs float64) bool {
	d := math.Abs(float64(got) - float64(want))
	return d <= abs+rel*math.Abs(float64(want))
}

func TestOptimizersMatchPyTorch(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Optim {
		t.Run(c.Name, func(t *testing.T) {
			params := make([]*autograd.Var, len(c.Shapes))
			for i, s := range c.Shapes {
				params[i] = autograd.Param(tensor.FromData(append([]float32(nil), c.Init[i]...), s...), "")
			}
			var groups []ParamGroup
			if c.Groups == nil {
				groups = []ParamGroup{{Params: params}}
			} else {
				for _, g := range c.Groups {
					pg := ParamGroup{LR: g.LR}
					for _, i := range g.Params {
						pg.Params = append(pg.Params, params[i])
					}
					groups = append(groups, pg)
				}
			}
			opt, err := newByName(c.Name, groups)
			if err != nil || opt == nil {
				t.Fatalf("no optimizer for case %q: %v", c.Name, err)
			}
			for step := range c.Grads {
				for i, p := range params {
					p.Grad = tensor.FromData(append([]float32(nil), c.Grads[step][i]...), c.Shapes[i]...)
				}
				opt.Step()
				for i, p := range params {
					for j, got := range p.Value.Data {
						want := c.After[step][i][j]
						// float32 state; PyTorch's vectorised kernels may
						// round differently (FMA), so allow a few ulps.
						if !closeF32(got, want, 2e-6, 1e-7) {
							t.Fatalf("step %d param %d[%d]: got %.9g, torch %.9g", step+1, i, j, got, want)
						}
					}
				}
			}
		})
	}
}

func TestCosineMatchesPyTorch(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Cosine {
		s := Cosine{TMax: c.TMax, MinLR: c.EtaMin}
		for epoch, lrs := range c.LRs {
			for g, want := range lrs {
				got := s.LR(c.Base[g], epoch)
				// torch uses a recursive form; it agrees with the closed
				// form up to accumulated rounding.
				if math.Abs(got-want) > 1e-12+1e-9*math.Abs(want) {
					t.Errorf("T_max=%d epoch %d group %d: got %.12g, torch %.12g", c.TMax, epoch, g, got, want)
				}
			}
		}
	}
}

func TestClipGradNormMatchesPyTorch(t *testing.T) {
	ref := loadReference(t)
	for _, c := range ref.Clip {
		params := make([]*autograd.Var, len(c.Shapes))
		for i, s := range c.Shapes {
			params[i] = autograd.Param(tensor.New(s...), "")
			params[i].Grad = tensor.FromData(append([]float32(nil), c.Grads[i]...), s...)
		}
		norm := ClipGradNorm(params, c.MaxNorm)
		if math.Abs(norm-c.Norm) > 1e-5*c.Norm {
			t.Errorf("max_norm %v: norm %v, torch %v", c.MaxNorm, norm, c.Norm)
		}
		for i, p := range params {
			for j, got := range p.Grad.Data {
				if !closeF32(got, c.Clipped[i][j], 2e-6, 1e-8) {
					t.Errorf("max_norm %v: grad %d[%d] = %v, torch %v", c.MaxNorm, i, j, got, c.Clipped[i][j])
				}
			}
		}
	}
}

func TestClipGradValue(t *testing.T) {
	p := autograd.Param(tensor.New(5), "p")
	p.Grad = tensor.FromData([]float32{-3, -0.5, 0, 0.5, 3}, 5)
	ClipGradValue([]*autograd.Var{p, nil}, 1)
	want := []float32{-1, -0.5, 0, 0.5, 1}
	for i, g := range p.Grad.Data {
		if g != want[i] {
			t.Fatalf("got %v, want %v", p.Grad.Data, want)
		}
	}
}

func TestWarmupThenCosine(t *testing.T) {
	s := Warmup{Epochs: 4, StartFactor: 0.25, Then: Cosine{TMax: 10, MinLR: 0}}
	want := []float64{0.25, 0.4375, 0.625, 0.8125, 1, 0.5 * (1 + math.Cos(math.Pi/10))}
	for e, w := range want {
		if got := s.LR(1, e); math.Abs(got-w) > 1e-15 {
			t.Errorf("epoch %d: %v, want %v", e, got, w)
		}
	}
	if got := (Warmup{Epochs: 2, StartFactor: 0.5}).LR(2, 7); got != 2 {
		t.Errorf("warm-up without Then: %v, want 2", got)
	}
	if got := (Constant{}).LR(0.3, 99); got != 0.3 {
		t.Errorf("Constant: %v", got)
	}
}

func TestSetLRPerGroup(t *testing.T) {
	enc := autograd.Param(tensor.New(1), "encoder.w")
	dec := autograd.Param(tensor.New(1), "decoder.w")
	opt, err := NewAdam([]ParamGroup{Group(1e-4, enc), Group(4e-4, dec)}, DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := Cosine{TMax: 50, MinLR: 1e-7}
	SetLR(opt, s, 50)
	for _, g := range opt.Groups() {
		if math.Abs(g.LR-1e-7) > 1e-18 {
			t.Errorf("epoch 50: lr %v, want 1e-7", g.LR)
		}
	}
	SetLR(opt, s, 0)
	if g := opt.Groups(); g[0].LR != 1e-4 || g[1].LR != 4e-4 {
		t.Errorf("epoch 0: lrs %v %v", g[0].LR, g[1].LR)
	}
}

// TestResumeIsExact checks that exporting the state mid-run, loading it into
// a fresh optimizer over copies of the parameters and continuing gives
// bit-identical parameters to an uninterrupted run.
func TestResumeIsExact(t *testing.T) {
	makeParams := func() []*autograd.Var {
		a := autograd.Param(tensor.FromData([]float32{0.5, -1, 2, 0.25}, 2, 2), "a")
		b := autograd.Param(tensor.FromData([]float32{1, 3}, 2), "b")
		return []*autograd.Var{a, b}
	}
	setGrads := func(ps []*autograd.Var, step int) {
		for k, p := range ps {
			p.Grad = tensor.NewLike(p.Value)
			for i := range p.Grad.Data {
				p.Grad.Data[i] = float32(math.Sin(float64(step*7 + k*3 + i)))
			}
		}
	}
	builders := map[string]func([]*autograd.Var) (Optimizer, error){
		"sgd": func(ps []*autograd.Var) (Optimizer, error) {
			return NewSGD([]ParamGroup{{Params: ps, LR: 0.1, WeightDecay: 1e-3}}, SGDConfig{Momentum: 0.9, Nesterov: true})
		},
		"adam": func(ps []*autograd.Var) (Optimizer, error) {
			return NewAdam([]ParamGroup{Group(1e-2, ps[0]), Group(4e-2, ps[1])}, DefaultAdamConfig())
		},
		"adamax": func(ps []*autograd.Var) (Optimizer, error) {
			return NewAdamax([]ParamGroup{Group(2e-3, ps...)}, DefaultAdamConfig())
		},
	}
	for name, build := range builders {
		t.Run(name, func(t *testing.T) {
			full := makeParams()
			o1, err := build(full)
			if err != nil {
				t.Fatal(err)
			}
			for s := 0; s < 8; s++ {
				setGrads(full, s)
				o1.Step()
			}
			part := makeParams()
			o2, _ := build(part)
			for s := 0; s < 3; s++ {
				setGrads(part, s)
				o2.Step()
			}
			st := o2.State()
			// Round-trip the step counters through checkpoint metadata too.
			steps, err := ParseStepsMeta(st.StepsMeta())
			if err != nil {
				t.Fatal(err)
			}
			st.Steps = steps
			resumed := makeParams()
			for i := range resumed {
				resumed[i].Value.CopyFrom(part[i].Value)
			}
			o3, _ := build(resumed)
			if err := o3.LoadState(st); err != nil {
				t.Fatal(err)
			}
			for s := 3; s < 8; s++ {
				setGrads(resumed, s)
				o3.Step()
			}
			for i := range full {
				for j := range full[i].Value.Data {
					if math.Float32bits(full[i].Value.Data[j]) != math.Float32bits(resumed[i].Value.Data[j]) {
						t.Fatalf("param %d[%d]: resumed %v, uninterrupted %v", i, j, resumed[i].Value.Data[j], full[i].Value.Data[j])
					}
				}
			}
		})
	}
}

func TestLoadStateErrors(t *testing.T) {
	p := autograd.Param(tensor.New(3), "w")
	opt, err := NewAdam([]ParamGroup{Group(1e-3, p)}, DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	good := func() State {
		return State{
			Tensors: map[string]*tensor.Tensor{"w.exp_avg": tensor.New(3), "w.exp_avg_sq": tensor.New(3)},
			Steps:   map[string]int64{"w": 4},
		}
	}
	if err := opt.LoadState(good()); err != nil {
		t.Fatalf("valid state rejected: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(*State)
		want   string
	}{
		{"unknown param", func(s *State) { s.Steps["v"] = 1 }, `optim: state for unknown parameter "v"`},
		{"missing buffer", func(s *State) { delete(s.Tensors, "w.exp_avg_sq") }, `optim: state is missing tensor "w.exp_avg_sq"`},
		{"bad shape", func(s *State) { s.Tensors["w.exp_avg"] = tensor.New(2) }, `optim: state tensor "w.exp_avg" has shape [2], parameter has [3]`},
		{"extra tensor", func(s *State) { s.Tensors["w.momentum_buffer"] = tensor.New(3) }, `optim: unexpected state tensor "w.momentum_buffer"`},
		{"negative step", func(s *State) { s.Steps["w"] = -1 }, `optim: parameter "w": negative step count -1`},
	}
	for _, c := range cases {
		s := good()
		c.mutate(&s)
		err := opt.LoadState(s)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ParseStepsMeta(map[string]string{"optim.step.w": "x"}); err == nil {
		t.Error("ParseStepsMeta accepted a non-number")
	}
}

func TestConstructorErrors(t *testing.T) {
	p := autograd.Param(tensor.New(1), "p")
	if _, err := NewAdam(nil, DefaultAdamConfig()); err == nil {
		t.Error("no groups accepted")
	}
	if _, err := NewAdam([]ParamGroup{Group(1e-3, p), Group(1e-3, p)}, DefaultAdamConfig()); err == nil {
		t.Error("duplicate parameter accepted")
	}
	if _, err := NewAdam([]ParamGroup{Group(math.NaN(), p)}, DefaultAdamConfig()); err == nil {
		t.Error("NaN learning rate accepted")
	}
	if _, err := NewAdamax([]ParamGroup{Group(1e-3, p)}, AdamConfig{Beta1: 1, Beta2: 0.9}); err == nil {
		t.Error("beta1 = 1 accepted")
	}
	if _, err := NewSGD([]ParamGroup{Group(1e-3, p)}, SGDConfig{Nesterov: true}); err == nil {
		t.Error("Nesterov without momentum accepted")
	}
	q := autograd.Param(tensor.New(1), "p")
	if _, err := NewSGD([]ParamGroup{Group(1e-3, p, q)}, SGDConfig{}); err == nil {
		t.Error("two parameters with one name accepted")
	}
}

func TestSkipsParamsWithoutGrad(t *testing.T) {
	p := autograd.Param(tensor.FromData([]float32{1}, 1), "p")
	opt, _ := NewAdam([]ParamGroup{Group(0.1, p)}, DefaultAdamConfig())
	opt.Step()
	if p.Value.Data[0] != 1 || len(opt.State().Steps) != 0 {
		t.Fatalf("parameter without gradient changed: %v, state %v", p.Value.Data, opt.State().Steps)
	}
	p.Grad = tensor.Full(1, 1)
	opt.ZeroGrad()
	if p.Grad != nil {
		t.Fatal("ZeroGrad kept the gradient")
	}
}
