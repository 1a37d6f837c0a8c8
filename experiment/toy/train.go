package toy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset/synth"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// Config holds the toy experiment's hyperparameters. The zero value of a
// field means its default (DefaultConfig).
type Config struct {
	Seed          uint64
	TrainPoints   int // inlier training points (default 1000)
	TestPoints    int // test points, half inliers half outliers (default 1000)
	Hidden        int // classifier width (default 64)
	Couplings     int // flow coupling layers (default 6)
	FlowHidden    int // coupling network width (default 32)
	PretrainSteps int // stage 1: classifier CE steps and flow NLL steps (default 1500)
	JointSteps    int // stage 2 joint steps (default 1500)
	Batch         int // inlier points per step (default 128)
	NegBatch      int // flow samples per step (default 128)
	LR            float64
	FlowLR        float64
	Lambda        float32 // λ of eq. 3 (default 1: in 2-D there is no pixel imbalance to offset)
	LambdaGen     float32 // λ of eq. 4 (default 0.03, the paper's λ)
	// SampleTemp is the latent temperature of the negatives (default 2). A
	// flow fitted by NLL reproduces the inliers at temperature 1, where the
	// classifier cannot be both correct and uniform; a wider latent puts
	// most samples in the tails, the border of the inlier distribution.
	SampleTemp float32
	// FreezeFlow keeps the flow fixed after pre-training (the
	// --joint-flow=false ablation).
	FreezeFlow     bool
	ScoreTemp      float32 // T of the JS score (eq. 7; default 1)
	NumNegativesPl int     // negatives kept for the figure (default 150)
}

// DefaultConfig returns the defaults used by the report.
func DefaultConfig() Config {
	return Config{Seed: 1, TrainPoints: 1000, TestPoints: 1000, Hidden: 64, Couplings: 6, FlowHidden: 32,
		PretrainSteps: 1500, JointSteps: 1500, Batch: 128, NegBatch: 128, LR: 3e-3, FlowLR: 2e-3,
		Lambda: 1, LambdaGen: 0.03, SampleTemp: 2, ScoreTemp: 1, NumNegativesPl: 150}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	set(&c.TrainPoints, d.TrainPoints)
	set(&c.TestPoints, d.TestPoints)
	set(&c.Hidden, d.Hidden)
	set(&c.Couplings, d.Couplings)
	set(&c.FlowHidden, d.FlowHidden)
	set(&c.PretrainSteps, d.PretrainSteps)
	set(&c.JointSteps, d.JointSteps)
	set(&c.Batch, d.Batch)
	set(&c.NegBatch, d.NegBatch)
	set(&c.NumNegativesPl, d.NumNegativesPl)
	if c.LR == 0 {
		c.LR = d.LR
	}
	if c.FlowLR == 0 {
		c.FlowLR = d.FlowLR
	}
	for _, p := range []struct {
		v   *float32
		def float32
	}{{&c.Lambda, d.Lambda}, {&c.LambdaGen, d.LambdaGen}, {&c.SampleTemp, d.SampleTemp}, {&c.ScoreTemp, d.ScoreTemp}} {
		if *p.v == 0 {
			*p.v = p.def
		}
	}
	return c
}

// Point is a 2-D point with a label (0, 1, or synth.AnomalyLabel).
type Point = synth.Toy2DPoint

// Result is the outcome of Run.
type Result struct {
	Config   Config
	Baseline *MLP  // cross-entropy only (MSP baseline)
	Joint    *MLP  // NFlowJS classifier
	Flow     *Flow // jointly trained flow
	Train    []Point
	Test     []Point
	// Negatives are flow samples drawn after joint training (for Figure 2).
	Negatives [][2]float32
	// Metrics of the anomaly scores on the test split (outliers positive).
	MSP, NFlowJS, JointMSP metrics.Binary
	// Closed-set accuracy on the test inliers.
	BaselineAcc, JointAcc float64
	// Loss traces, one value per step.
	ClsLoss, NegLoss, FlowNLL []float64
}

// Run trains the baseline and the NFlowJS pair and evaluates both.
func Run(cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Lambda < 0 || cfg.LambdaGen < 0 || cfg.ScoreTemp <= 0 || cfg.SampleTemp <= 0 {
		return nil, errors.New("toy: λ must be >= 0 and temperatures > 0")
	}
	train, err := synth.Toy2D(cfg.Seed, "train", cfg.TrainPoints)
	if err != nil {
		return nil, fmt.Errorf("toy: %w", err)
	}
	test, err := synth.Toy2D(cfg.Seed, "test", cfg.TestPoints)
	if err != nil {
		return nil, fmt.Errorf("toy: %w", err)
	}
	res := &Result{Config: cfg, Train: train, Test: test}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x70ed))

	// Both classifiers start from the same weights and see the same
	// inlier batches during stage 1.
	res.Baseline = NewMLP(rand.New(rand.NewPCG(cfg.Seed, 1)), cfg.Hidden)
	res.Joint = NewMLP(rand.New(rand.NewPCG(cfg.Seed, 1)), cfg.Hidden)
	res.Flow = NewFlow(rand.New(rand.NewPCG(cfg.Seed, 2)), cfg.Couplings, cfg.FlowHidden)
	pts := make([][2]float32, len(train))
	for i, p := range train {
		pts[i] = [2]float32{float32(p.X), float32(p.Y)}
	}
	res.Flow.InitFromData(pts)

	optBase, err := adam(res.Baseline, cfg.LR)
	if err != nil {
		return nil, err
	}
	optJoint, err := adam(res.Joint, cfg.LR)
	if err != nil {
		return nil, err
	}
	optFlow, err := optim.NewAdamax([]optim.ParamGroup{optim.Group(cfg.FlowLR, nn.Parameters(res.Flow)...)}, optim.DefaultAdamConfig())
	if err != nil {
		return nil, fmt.Errorf("toy: %w", err)
	}

	// Stage 1: closed-set training of the classifiers, NLL pre-training of
	// the flow.
	for step := 0; step < cfg.PretrainSteps; step++ {
		x, y := batch(rng, train, cfg.Batch)
		ceStep(res.Baseline, optBase, x, y)
		ceStep(res.Joint, optJoint, x, y)
		optFlow.ZeroGrad()
		nll := res.Flow.NLL(autograd.Const(x))
		nll.Backward()
		optFlow.Step()
		res.FlowNLL = append(res.FlowNLL, float64(nll.Value.Data[0]))
	}

	// Stage 2: the baseline continues with cross-entropy; NFlowJS trains
	// the classifier and the flow jointly (eqs. 3-4).
	for step := 0; step < cfg.JointSteps; step++ {
		x, y := batch(rng, train, cfg.Batch)
		ceStep(res.Baseline, optBase, x, y)

		z := tensor.New(cfg.NegBatch, 2)
		for i := range z.Data {
			z.Data[i] = cfg.SampleTemp * float32(rng.NormFloat64())
		}
		// Flow update (eq. 4): NLL of inliers + λ_g · JS on its samples,
		// through the classifier. The classifier's gradients from this
		// pass are discarded.
		optFlow.ZeroGrad()
		xneg := res.Flow.Sample(autograd.Const(z))
		nll := res.Flow.NLL(autograd.Const(x))
		jsGen := JSToUniform(res.Joint.Forward(xneg))
		autograd.Add(nll, autograd.Scale(jsGen, cfg.LambdaGen)).Backward()
		if !cfg.FreezeFlow {
			optFlow.Step()
		}
		nn.ZeroGrad(res.Joint)

		// Classifier update (eq. 3) on the same, detached negatives.
		optJoint.ZeroGrad()
		ce := autograd.CrossEntropy(res.Joint.Forward(autograd.Const(x)), y, -1)
		jsNeg := JSToUniform(res.Joint.Forward(autograd.Const(xneg.Value)))
		loss := autograd.Add(ce, autograd.Scale(jsNeg, cfg.Lambda))
		loss.Backward()
		optJoint.Step()

		res.ClsLoss = append(res.ClsLoss, float64(ce.Value.Data[0]))
		res.NegLoss = append(res.NegLoss, float64(jsNeg.Value.Data[0]))
		res.FlowNLL = append(res.FlowNLL, float64(nll.Value.Data[0]))
		if bad := math.IsNaN(float64(loss.Value.Data[0])) || math.IsNaN(float64(nll.Value.Data[0])); bad {
			return nil, fmt.Errorf("toy: loss became NaN at joint step %d", step)
		}
	}

	res.Negatives = res.Flow.SampleN(rng, cfg.NumNegativesPl, cfg.SampleTemp)
	if err := res.evaluate(); err != nil {
		return nil, err
	}
	return res, nil
}

func adam(m nn.Module, lr float64) (*optim.Adam, error) {
	o, err := optim.NewAdam([]optim.ParamGroup{optim.Group(lr, nn.Parameters(m)...)}, optim.DefaultAdamConfig())
	if err != nil {
		return nil, fmt.Errorf("toy: %w", err)
	}
	return o, nil
}

func ceStep(m *MLP, o optim.Optimizer, x *tensor.Tensor, y []int32) {
	o.ZeroGrad()
	autograd.CrossEntropy(m.Forward(autograd.Const(x)), y, -1).Backward()
	o.Step()
}

// batch draws n inlier points with replacement.
func batch(rng *rand.Rand, pts []Point, n int) (*tensor.Tensor, []int32) {
	x := tensor.New(n, 2)
	y := make([]int32, n)
	for i := 0; i < n; i++ {
		p := pts[rng.IntN(len(pts))]
		x.Data[2*i], x.Data[2*i+1] = float32(p.X), float32(p.Y)
		y[i] = int32(p.Label)
	}
	return x, y
}

// SampleN draws n points from the flow at latent temperature temp.
func (f *Flow) SampleN(rng *rand.Rand, n int, temp float32) [][2]float32 {
	defer autograd.NoGrad()()
	z := tensor.New(n, 2)
	for i := range z.Data {
		z.Data[i] = temp * float32(rng.NormFloat64())
	}
	x := f.Sample(autograd.Const(z)).Value
	out := make([][2]float32, n)
	for i := range out {
		out[i] = [2]float32{x.Data[2*i], x.Data[2*i+1]}
	}
	return out
}

// Logits returns the classifier's logits [N,2] for points.
func (m *MLP) Logits(pts [][2]float32) *tensor.Tensor {
	defer autograd.NoGrad()()
	x := tensor.New(len(pts), 2)
	for i, p := range pts {
		x.Data[2*i], x.Data[2*i+1] = p[0], p[1]
	}
	return m.Forward(autograd.Const(x)).Value
}

// Score returns the anomaly score (higher = more anomalous) of kind at
// temperature T for every point, through package ood — the same code the
// segmentation models use.
func (m *MLP) Score(kind ood.Kind, T float32, pts [][2]float32) ([]float32, error) {
	l := m.Logits(pts)
	// ood works on NCHW maps: view N points as one 1×N image with 2 classes.
	n := len(pts)
	chw := tensor.New(1, 2, 1, n)
	for i := 0; i < n; i++ {
		chw.Data[i], chw.Data[n+i] = l.Data[2*i], l.Data[2*i+1]
	}
	s, err := ood.Compute(kind, chw, T)
	if err != nil {
		return nil, fmt.Errorf("toy: %w", err)
	}
	return s.Data, nil
}

func (r *Result) evaluate() error {
	pts := make([][2]float32, len(r.Test))
	labels := make([]uint8, len(r.Test))
	for i, p := range r.Test {
		pts[i] = [2]float32{float32(p.X), float32(p.Y)}
		if p.Label == synth.AnomalyLabel {
			labels[i] = 1
		}
	}
	var err error
	eval := func(m *MLP, kind ood.Kind, T float32) metrics.Binary {
		if err != nil {
			return metrics.Binary{}
		}
		var s []float32
		if s, err = m.Score(kind, T, pts); err != nil {
			return metrics.Binary{}
		}
		var b metrics.Binary
		b, err = metrics.Exact(s, labels, metrics.DefaultIgnore)
		return b
	}
	r.MSP = eval(r.Baseline, ood.MSP, 1)
	r.NFlowJS = eval(r.Joint, ood.NFlowJS, r.Config.ScoreTemp)
	r.JointMSP = eval(r.Joint, ood.MSP, 1)
	if err != nil {
		return fmt.Errorf("toy: evaluating: %w", err)
	}
	r.BaselineAcc = accuracy(r.Baseline, r.Test)
	r.JointAcc = accuracy(r.Joint, r.Test)
	return nil
}

func accuracy(m *MLP, pts []Point) float64 {
	var in [][2]float32
	var y []int
	for _, p := range pts {
		if p.Label != synth.AnomalyLabel {
			in = append(in, [2]float32{float32(p.X), float32(p.Y)})
			y = append(y, p.Label)
		}
	}
	if len(in) == 0 {
		return math.NaN()
	}
	l := m.Logits(in)
	ok := 0
	for i := range in {
		pred := 0
		if l.Data[2*i+1] > l.Data[2*i] {
			pred = 1
		}
		if pred == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(in))
}
