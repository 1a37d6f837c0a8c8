package toy

import (
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/metrics"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// testConfig is DefaultConfig with shorter training (a few seconds).
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.PretrainSteps, cfg.JointSteps = 600, 600
	return cfg
}

var (
	runOnce   sync.Once
	runResult *Result
	runErr    error
)

func trained(t *testing.T) *Result {
	t.Helper()
	runOnce.Do(func() { runResult, runErr = Run(testConfig()) })
	if runErr != nil {
		t.Fatal(runErr)
	}
	return runResult
}

// TestJointBeatsMSP is the claim of the paper's Figure 2: max-softmax is
// confident far from the data, NFlowJS is not.
func TestJointBeatsMSP(t *testing.T) {
	r := trained(t)
	t.Logf("MSP: AUROC %.3f AP %.3f FPR95 %.3f", r.MSP.AUROC, r.MSP.AP, r.MSP.FPR95)
	t.Logf("NFlowJS: AUROC %.3f AP %.3f FPR95 %.3f", r.NFlowJS.AUROC, r.NFlowJS.AP, r.NFlowJS.FPR95)
	t.Logf("closed-set accuracy: baseline %.3f, NFlowJS %.3f", r.BaselineAcc, r.JointAcc)
	if r.NFlowJS.AUROC < 0.9 || r.NFlowJS.AUROC < r.MSP.AUROC+0.3 {
		t.Errorf("NFlowJS AUROC %.3f, MSP %.3f: want >= 0.9 and 0.3 above MSP", r.NFlowJS.AUROC, r.MSP.AUROC)
	}
	if r.NFlowJS.FPR95 > 0.3 || r.NFlowJS.FPR95 >= r.MSP.FPR95 {
		t.Errorf("NFlowJS FPR95 %.3f, MSP %.3f", r.NFlowJS.FPR95, r.MSP.FPR95)
	}
	if r.BaselineAcc < 0.97 || r.JointAcc < 0.97 {
		t.Errorf("closed-set accuracy %.3f / %.3f, want >= 0.97", r.BaselineAcc, r.JointAcc)
	}
	// The joint classifier's OOD score separates the negatives' region
	// from the inliers; the baseline's MSP does not.
	neg := r.Flow.SampleN(rand.New(rand.NewPCG(9, 9)), 500, r.Config.SampleTemp)
	in := make([][2]float32, 0, 500)
	for _, p := range r.Train[:500] {
		in = append(in, [2]float32{float32(p.X), float32(p.Y)})
	}
	sep := func(m *MLP, kind ood.Kind, T float32) float64 {
		s, err := m.Score(kind, T, append(append([][2]float32{}, in...), neg...))
		if err != nil {
			t.Fatal(err)
		}
		labels := make([]uint8, len(s))
		for i := len(in); i < len(s); i++ {
			labels[i] = 1
		}
		b, err := metrics.Exact(s, labels, metrics.DefaultIgnore)
		if err != nil {
			t.Fatal(err)
		}
		return b.AUROC
	}
	mspSep, jsSep := sep(r.Baseline, ood.MSP, 1), sep(r.Joint, ood.NFlowJS, r.Config.ScoreTemp)
	t.Logf("negatives vs inliers AUROC: MSP %.3f, NFlowJS %.3f", mspSep, jsSep)
	if jsSep < mspSep+0.15 {
		t.Errorf("negatives region: NFlowJS AUROC %.3f not clearly above MSP %.3f", jsSep, mspSep)
	}
}

func TestFigures(t *testing.T) {
	r := trained(t)
	dir := t.TempDir()
	for name, write := range map[string]func(string) error{
		"fig2.png": func(p string) error { return Figure2(r, p) },
		"fig3.png": Figure3Left,
	} {
		path := filepath.Join(dir, name)
		if err := write(path); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
			t.Errorf("%s: size %v", name, b)
		}
	}
	// The NFlowJS field is high (anomalous) at the corners, far from the
	// data, and low at the class centres; MSP's is the opposite at the
	// corners (confident far away).
	const n = 40
	js, err := ScoreField(r.Joint, ood.NFlowJS, r.Config.ScoreTemp, n)
	if err != nil {
		t.Fatal(err)
	}
	corner := js[0] // (−6, 6)
	centre := js[(n/2)*n+n/4]
	if corner <= centre {
		t.Errorf("NFlowJS score at corner %.3f <= at class centre %.3f", corner, centre)
	}
}

// TestFlowIsInvertibleAndNormalised checks the change of variables: Sample
// inverts Encode, and the density integrates to 1 over a large grid, for a
// flow with non-trivial random couplings.
func TestFlowIsInvertibleAndNormalised(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	f := NewFlow(rng, 4, 16)
	for _, l := range f.Layers {
		for i := range l.L3.Weight.Value.Data {
			l.L3.Weight.Value.Data[i] = float32(rng.NormFloat64() * 0.5)
		}
	}
	f.Loc.Value.Data[0], f.LogScale.Value.Data[1] = 0.3, -0.2
	pts := [][2]float32{{0.1, -0.4}, {1.5, 2}, {-2, 0.7}}
	back := f.SampleN(rand.New(rand.NewPCG(1, 1)), 1, 1) // exercise SampleN
	_ = back
	u := f.Encode(pts)
	z := tensor.New(len(u), 2)
	for i, p := range u {
		z.Data[2*i], z.Data[2*i+1] = p[0], p[1]
	}
	x := f.Sample(autograd.Const(z)).Value
	for i, p := range pts {
		if math.Abs(float64(x.Data[2*i]-p[0])) > 1e-4 || math.Abs(float64(x.Data[2*i+1]-p[1])) > 1e-4 {
			t.Errorf("point %v -> %v", p, x.Data[2*i:2*i+2])
		}
	}
	const n, box = 300, 12.0
	h := 2 * box / n
	var grid [][2]float32
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			grid = append(grid, [2]float32{float32(-box + (float64(i)+0.5)*h), float32(-box + (float64(j)+0.5)*h)})
		}
	}
	var mass float64
	for _, lp := range f.LogProb(grid) {
		mass += math.Exp(lp) * h * h
	}
	if math.Abs(mass-1) > 0.02 {
		t.Errorf("density integrates to %.4f", mass)
	}
	// NLL is the mean of −LogProb.
	lp := f.LogProb(pts)
	xs := tensor.New(len(pts), 2)
	for i, p := range pts {
		xs.Data[2*i], xs.Data[2*i+1] = p[0], p[1]
	}
	want := -(lp[0] + lp[1] + lp[2]) / 3
	if got := float64(f.NLL(autograd.Const(xs)).Value.Data[0]); math.Abs(got-want) > 1e-4 {
		t.Errorf("NLL %.6f, mean −LogProb %.6f", got, want)
	}
}

// TestJSToUniform compares the differentiable JS loss with ood's float64
// definition and checks its gradient by finite differences.
func TestJSToUniform(t *testing.T) {
	logits := []float32{2, -1, 0.3, 0.2, -4, 3}
	got := float64(JSToUniform(autograd.Const(tensor.FromData(logits, 3, 2))).Value.Data[0])
	var want float64
	for i := 0; i < 3; i++ {
		a, b := float64(logits[2*i]), float64(logits[2*i+1])
		p1 := 1 / (1 + math.Exp(b-a))
		want += ood.JSToUniform([]float64{p1, 1 - p1}) / 3
	}
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("JSToUniform %.7f, want %.7f", got, want)
	}
	err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var { return JSToUniform(in[0]) },
		[]*tensor.Tensor{tensor.FromData([]float32{0.5, -0.3, 1.2, 0.1, -0.7, 0.4}, 2, 3)}, 1e-2, 2e-2)
	if err != nil {
		t.Error(err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	cfg := testConfig()
	cfg.Lambda = -1
	if _, err := Run(cfg); err == nil {
		t.Fatal("negative λ accepted")
	}
}
