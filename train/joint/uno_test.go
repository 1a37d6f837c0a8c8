package joint

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// unoNet is tinyNet with K+1 outputs: Forward returns the K inlier
// logits, ForwardAll all of them (like seg.Model with a UNO head).
type unoNet struct{ *tinyNet }

func (u unoNet) ForwardAll(x *autograd.Var) *autograd.Var { return u.tinyNet.Forward(x) }
func (u unoNet) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Split(u.ForwardAll(x), testK, 1)[0]
}

// NegativeClassLoss by hand: logits (0, 0, ln 2) give p_neg = 1/2, so
// −ln p_neg = ln 2; (0, 0, 0) give ln 3. The mean over the two pixels is
// (ln 2 + ln 3)/2, and its gradient is checked by finite differences.
func TestNegativeClassLossByHand(t *testing.T) {
	z := tensor.FromData([]float32{0, 0, 0, 0, float32(math.Ln2), 0}, 1, 3, 1, 2)
	got := float64(NegativeClassLoss(autograd.Const(z)).Value.Data[0])
	if want := (math.Ln2 + math.Log(3)) / 2; math.Abs(got-want) > 1e-6 {
		t.Errorf("L_neg %v, want %v", got, want)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	r := tensor.New(2, testK+1, 3, 5)
	for i := range r.Data {
		r.Data[i] = float32(rng.NormFloat64())
	}
	if err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var { return NegativeClassLoss(in[0]) },
		[]*tensor.Tensor{r}, 1e-2, 1e-3); err != nil {
		t.Error(err)
	}
}

// TestUNOClassifierGradient checks a UNO head's joint step: the
// classifier's gradients equal those of CE over the K+1 outputs on inlier
// pixels + λ·NegativeClassLoss on the pasted ones, recomputed on the same
// mixed batch; the negative class's output row receives a gradient; and
// the flow's gradient of λ·L_neg matches finite differences of the loss
// (it reaches the flow through the patch, as the JS loss does).
func TestUNOClassifierGradient(t *testing.T) {
	const lambda = 0.5
	f := tinyFlow(flow.RealNVP, 51)
	clf := unoNet{newTinyNet(testK+1, 52)}
	images, labels := randomBatch(3, 16, 16, testK, 53)
	o := jointObjective(clf, f, lambda)
	o.NegativeClass = true
	if err := o.Validate(16, 16); err != nil {
		t.Fatal(err)
	}
	res, err := o.Gradients(images, labels, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	params := nn.Parameters(clf)
	got := cloneGrads(params)
	flowGrad := cloneGrads(f.Parameters())

	nn.ZeroGrad(clf)
	all := clf.ForwardAll(autograd.Const(res.Mixed))
	ce := autograd.CrossEntropy(all, MaskLabels(labels, testK, 3, 16, 16, res.Placement), IgnoreIndex)
	neg := NegativeClassLoss(CropEach(all, res.Placement))
	autograd.Add(ce, autograd.Scale(neg, lambda)).Backward()
	assertLDisc(t, params, got, res, ce, neg)
	// The last output channel's weights (c2 is [K+1, 6, 3, 3]) learn.
	w := clf.c2.Weight.Grad.Data
	row := len(w) / (testK + 1)
	var s float64
	for _, v := range w[testK*row:] {
		s += math.Abs(float64(v))
	}
	if s == 0 {
		t.Error("the negative class receives no gradient")
	}

	// Flow: directional derivative of λ·L_neg + L_nll along the gradient.
	params = f.Parameters()
	var norm float64
	for i := range flowGrad {
		for _, v := range flowGrad[i] {
			norm += float64(v) * float64(v)
		}
	}
	norm = math.Sqrt(norm)
	loss := func(s float32) float64 {
		for i, p := range params {
			for j := range p.Value.Data {
				p.Value.Data[j] += s * flowGrad[i][j] / float32(norm)
			}
		}
		defer func() {
			for i, p := range params {
				for j := range p.Value.Data {
					p.Value.Data[j] -= s * flowGrad[i][j] / float32(norm)
				}
			}
		}()
		restore := autograd.NoGrad()
		defer restore()
		r, err := o.Gradients(images, labels, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		return r.BPD + lambda*r.Neg
	}
	const eps = 2e-3
	numeric := (loss(eps) - loss(-eps)) / (2 * eps)
	if math.Abs(numeric-norm) > 0.03*norm+2e-3 {
		t.Errorf("flow: directional derivative %.6g, gradient norm %.6g", numeric, norm)
	}
}

// TestRunUNOHead trains a UNO head for two steps from a K-class stage-1
// bundle: the output bundle has K+1 outputs, the uno score, loads, and
// its inlier logits started from stage 1's (zero negative row).
func TestRunUNOHead(t *testing.T) {
	data, segDir, flowPath := fixture(t)
	for _, neg := range []string{"flow", "gmm"} {
		out := filepath.Join(t.TempDir(), "uno-"+neg)
		c := smallConfig(data, segDir, flowPath, out)
		c.Steps, c.Head, c.Negatives = 2, seg.HeadUNO, neg
		if _, err := Run(context.Background(), c, nil, nil); err != nil {
			t.Fatal(err)
		}
		b, err := seg.LoadBundle(out)
		if err != nil {
			t.Fatal(err)
		}
		if !b.Model.HasNegativeClass() || b.Info.Score != "uno" || b.Info.Config.Outputs() != b.Info.Config.NumClasses+1 {
			t.Errorf("%s: bundle head %q score %q outputs %d", neg, b.Info.Config.Head, b.Info.Score, b.Info.Config.Outputs())
		}
		x := tensor.New(1, 3, 32, 64)
		all, err := b.Model.AllLogits(x)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ood.Compute(ood.UNO, all, 1); err != nil {
			t.Error(err)
		}
	}
	c := smallConfig(data, segDir, flowPath, t.TempDir())
	c.Head, c.Negatives = seg.HeadUNO, "none"
	if err := c.Validate(); err == nil {
		t.Error("--head uno with --negatives none accepted")
	}
	c.Head = "k+2"
	if err := c.Validate(); err == nil {
		t.Error("unknown head accepted")
	}
}
