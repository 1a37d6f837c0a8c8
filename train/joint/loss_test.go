package joint

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
)

const testK = 4

func jointObjective(clf Classifier, f *flow.Flow, lambda float32) *Objective {
	return &Objective{
		Classifier: clf,
		Negatives:  &FlowNegatives{Flow: f, Temperature: 1, Norm: testNorm},
		Flow:       f,
		Sizer:      PatchSizer{Min: 4, Max: 8},
		Lambda:     lambda,
		Loss:       JSD,
		NumClasses: testK,
		Norm:       testNorm,
	}
}

// TestFlowGradientFiniteDifferences checks the flow's gradient of L_gen
// (Eq. 4) against central finite differences: along random directions in
// the full parameter space and per coordinate for the largest entries,
// once for the whole loss and once for the λ·L_neg part alone, which
// travels from the classifier's posterior through the pasted patch and the
// flow's inverse into γ. Both flow kinds are covered (DenseFlow's
// cross-unit noise enters the likelihood but not the samples).
func TestFlowGradientFiniteDifferences(t *testing.T) {
	for _, kind := range []flow.Kind{flow.RealNVP, flow.DenseFlow} {
		t.Run(string(kind), func(t *testing.T) {
			f := tinyFlow(kind, 11)
			clf := newTinyNet(testK, 12)
			images, labels := randomBatch(2, 16, 16, testK, 13)
			const seed, lambda = 99, 1.0
			eval := func(lam float32) (Result, [][]float32) {
				o := jointObjective(clf, f, lam)
				res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(seed, 0)))
				if err != nil {
					t.Fatal(err)
				}
				return res, cloneGrads(f.Parameters())
			}
			res, gFull := eval(lambda)
			_, gNLL := eval(0)
			if math.IsNaN(res.BPD) || math.IsNaN(res.Neg) {
				t.Fatalf("losses %+v", res)
			}
			// The L_neg part of the flow gradient: non-zero in (nearly) every
			// parameter tensor that shapes the samples.
			gNeg := make([][]float32, len(gFull))
			nonZero := 0
			for i := range gFull {
				gNeg[i] = make([]float32, len(gFull[i]))
				var s float64
				for j := range gFull[i] {
					gNeg[i][j] = gFull[i][j] - gNLL[i][j]
					s += math.Abs(float64(gNeg[i][j]))
				}
				if s > 0 {
					nonZero++
				}
			}
			if nonZero < len(gFull)/2 {
				t.Fatalf("L_neg reaches only %d of %d flow parameter tensors", nonZero, len(gFull))
			}

			params := f.Parameters()
			loss := func(part string) float64 {
				restore := autograd.NoGrad()
				defer restore()
				o := jointObjective(clf, f, lambda)
				res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(seed, 0)))
				if err != nil {
					t.Fatal(err)
				}
				if part == "neg" {
					return lambda * res.Neg
				}
				return res.BPD + lambda*res.Neg
			}
			dir := rand.New(rand.NewPCG(5, 5))
			// Float32 rounding of the losses (~1e-7 relative) divided by 2ε
			// bounds the finite differences' accuracy: L_nll is ~5 bits/dim,
			// λ·L_neg below 1.
			absTol := map[string]float64{"full": 2e-3, "neg": 1e-4}
			for _, part := range []string{"full", "neg"} {
				g := gFull
				if part == "neg" {
					g = gNeg
				}
				// Directional derivatives along random unit directions.
				for trial := range 3 {
					d := make([][]float32, len(params))
					var norm float64
					for i, p := range params {
						d[i] = make([]float32, len(p.Value.Data))
						for j := range d[i] {
							// The first direction is the gradient itself (the
							// derivative is then |g|, well above the noise).
							d[i][j] = g[i][j]
							if trial > 0 {
								d[i][j] = float32(dir.NormFloat64())
							}
							norm += float64(d[i][j]) * float64(d[i][j])
						}
					}
					norm = math.Sqrt(norm)
					var analytic float64
					for i := range d {
						for j := range d[i] {
							d[i][j] /= float32(norm)
							analytic += float64(d[i][j]) * float64(g[i][j])
						}
					}
					const eps = 2e-3
					shift := func(s float32) {
						for i, p := range params {
							for j := range p.Value.Data {
								p.Value.Data[j] += s * d[i][j]
							}
						}
					}
					shift(eps)
					lp := loss(part)
					shift(-2 * eps)
					lm := loss(part)
					shift(eps)
					numeric := (lp - lm) / (2 * eps)
					t.Logf("%s direction %d: analytic %.6g, numeric %.6g", part, trial, analytic, numeric)
					if math.Abs(numeric-analytic) > 0.03*math.Abs(numeric)+absTol[part] {
						t.Errorf("%s direction %d: analytic %.6g, numeric %.6g", part, trial, analytic, numeric)
					}
					if trial == 0 && math.Abs(analytic) < 20*absTol[part] {
						t.Errorf("%s: gradient norm %.3g is (nearly) zero", part, analytic)
					}
				}
				// Coordinates with the largest gradients.
				for range 4 {
					bi, bj, best := 0, 0, float32(-1)
					for i := range g {
						for j, v := range g[i] {
							if a := float32(math.Abs(float64(v))); a > best && !(g[i][j] != g[i][j]) {
								bi, bj, best = i, j, a
							}
						}
					}
					const eps = 1e-2
					v := params[bi].Value.Data
					orig := v[bj]
					v[bj] = orig + eps
					lp := loss(part)
					v[bj] = orig - eps
					lm := loss(part)
					v[bj] = orig
					numeric := (lp - lm) / (2 * eps)
					analytic := float64(g[bi][bj])
					t.Logf("%s %s[%d]: analytic %.6g, numeric %.6g", part, params[bi].Name, bj, analytic, numeric)
					if math.Abs(numeric-analytic) > 0.05*math.Abs(numeric)+absTol[part] {
						t.Errorf("%s %s[%d]: analytic %.6g, numeric %.6g", part, params[bi].Name, bj, analytic, numeric)
					}
					g[bi][bj] = 0 // next coordinate
				}
			}
		})
	}
}

// TestClassifierSeesOnlyItsLoss checks that the classifier's gradients
// after a joint step equal those of L_disc = CE + λ·L_neg (Eq. 3) alone,
// recomputed on the same mixed batch without any flow: neither L_nll nor
// the flow's own copy of λ·L_neg leaks into θ.
func TestClassifierSeesOnlyItsLoss(t *testing.T) {
	const lambda = 0.5
	f := tinyFlow(flow.RealNVP, 21)
	clf := newTinyNet(testK, 22)
	images, labels := randomBatch(3, 16, 16, testK, 23)
	o := jointObjective(clf, f, lambda)
	res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	params := nn.Parameters(clf)
	got := cloneGrads(params)

	nn.ZeroGrad(clf)
	logits := clf.Forward(autograd.Const(res.Mixed))
	ce := autograd.CrossEntropy(logits, MaskLabels(labels, testK, 3, 16, 16, res.Placement), IgnoreIndex)
	neg := NegativeLoss(JSD, logits, res.Placement)
	autograd.Add(ce, autograd.Scale(neg, lambda)).Backward()
	assertLDisc(t, params, got, res, ce, neg)
}

// assertLDisc checks a joint step's classifier gradients got and losses
// res against L_disc = ce + λ·neg, back-propagated into params just before.
func assertLDisc(t *testing.T, params []*autograd.Var, got [][]float32, res Result, ce, neg *autograd.Var) {
	t.Helper()
	want := cloneGrads(params)
	for i := range want {
		for j := range want[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-6*(1+math.Abs(float64(want[i][j]))) {
				t.Fatalf("%s[%d]: joint step gradient %v, L_disc gradient %v", params[i].Name, j, got[i][j], want[i][j])
			}
		}
	}
	if float64(ce.Value.Data[0]) != res.CE || float64(neg.Value.Data[0]) != res.Neg {
		t.Errorf("losses differ: CE %v vs %v, L_neg %v vs %v", res.CE, ce.Value.Data[0], res.Neg, neg.Value.Data[0])
	}
}

// TestLambdaZeroIsCrossEntropyTraining runs three Adam steps of the joint
// objective with λ = 0 (the flow still trains on L_nll) next to plain
// cross-entropy training of an identical classifier on the same mixed
// images: the classifier parameters must agree bit for bit.
func TestLambdaZeroIsCrossEntropyTraining(t *testing.T) {
	f := tinyFlow(flow.RealNVP, 31)
	joint, plain := newTinyNet(testK, 32), newTinyNet(testK, 32)
	newAdam := func(m nn.Module) optim.Optimizer {
		o, err := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-2, nn.Parameters(m)...)}, optim.DefaultAdamConfig())
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	optJ, optP := newAdam(joint), newAdam(plain)
	optF, err := optim.NewAdamax([]optim.ParamGroup{optim.Group(1e-2, f.Parameters()...)}, optim.DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	flowBefore := cloneValues(f.Parameters())
	o := jointObjective(joint, f, 0)
	for step := range 3 {
		images, labels := randomBatch(2, 16, 16, testK, uint64(40+step))
		res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(7, uint64(step))))
		if err != nil {
			t.Fatal(err)
		}
		optJ.Step()
		optF.Step()

		nn.ZeroGrad(plain)
		logits := plain.Forward(autograd.Const(res.Mixed))
		autograd.CrossEntropy(logits, MaskLabels(labels, testK, 2, 16, 16, res.Placement), IgnoreIndex).Backward()
		optP.Step()
	}
	pj, pp := nn.Parameters(joint), nn.Parameters(plain)
	for i := range pj {
		for j := range pj[i].Value.Data {
			if pj[i].Value.Data[j] != pp[i].Value.Data[j] {
				t.Fatalf("%s[%d]: joint %v, plain cross-entropy %v", pj[i].Name, j, pj[i].Value.Data[j], pp[i].Value.Data[j])
			}
		}
	}
	// The flow did train (on L_nll).
	moved := false
	for i, p := range f.Parameters() {
		for j, v := range p.Value.Data {
			moved = moved || v != flowBefore[i][j]
		}
	}
	if !moved {
		t.Error("the flow did not change with lambda = 0 (L_nll should still train it)")
	}
}

// TestNoNegativesIsStageOne checks --negatives none: the objective is the
// plain cross-entropy on the unmodified batch.
func TestNoNegativesIsStageOne(t *testing.T) {
	a, b := newTinyNet(testK, 52), newTinyNet(testK, 52)
	images, labels := randomBatch(2, 16, 16, testK, 53)
	o := &Objective{Classifier: a, Sizer: PatchSizer{Min: 4, Max: 8}, Lambda: 0.03, NumClasses: testK, Norm: testNorm}
	res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Placement.N() != 0 || !math.IsNaN(res.Neg) || res.Mixed != images {
		t.Fatalf("no-negative step pasted something: %+v", res.Placement)
	}
	logits := b.Forward(autograd.Const(images))
	autograd.CrossEntropy(logits, MaskLabels(labels, testK, 2, 16, 16, Placement{}), IgnoreIndex).Backward()
	ga, gb := cloneGrads(nn.Parameters(a)), cloneGrads(nn.Parameters(b))
	for i := range ga {
		for j := range ga[i] {
			if ga[i][j] != gb[i][j] {
				t.Fatalf("parameter %d[%d]: %v vs %v", i, j, ga[i][j], gb[i][j])
			}
		}
	}
}

// TestFrozenFlowGetsNoGradient: with a frozen flow (Objective.Flow nil)
// flow negatives are sampled without a graph.
func TestFrozenFlowGetsNoGradient(t *testing.T) {
	f := tinyFlow(flow.RealNVP, 61)
	clf := newTinyNet(testK, 62)
	images, labels := randomBatch(2, 16, 16, testK, 63)
	o := jointObjective(clf, f, 0.03)
	o.Flow = nil
	res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(res.BPD) {
		t.Errorf("frozen flow reported a likelihood %v", res.BPD)
	}
	for _, p := range f.Parameters() {
		if p.Grad != nil {
			t.Fatalf("frozen flow parameter %s received a gradient", p.Name)
		}
	}
	for _, p := range nn.Parameters(clf) {
		if p.Grad == nil {
			t.Fatalf("classifier parameter %s received no gradient", p.Name)
		}
	}
}
