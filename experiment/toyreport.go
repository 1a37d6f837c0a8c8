package experiment

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nflowjs/nflowjs/experiment/toy"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/metrics"
)

// ToyFile is the JSON the toy step writes; the figures sit beside it.
const (
	ToyFile     = "toy.json"
	ToyFigure2  = "figure2_toy.png"
	ToyFigure3L = "figure3_left_divergences.png"
)

// ToyMetrics are the anomaly-detection metrics of one toy model.
type ToyMetrics struct {
	AP    float64 `json:"ap"`
	AUROC float64 `json:"auroc"`
	FPR95 float64 `json:"fpr95"`
}

// ToyResult is the outcome of the 2-D toy (Figure 2) and its frozen-flow
// ablation.
type ToyResult struct {
	PretrainSteps int        `json:"pretrain_steps"`
	JointSteps    int        `json:"joint_steps"`
	Seeds         []uint64   `json:"seeds"`
	MSP           ToyMetrics `json:"msp"`         // baseline classifier, max-softmax
	NFlowJS       ToyMetrics `json:"nflowjs"`     // joint classifier, JS score
	JointMSP      ToyMetrics `json:"nflowjs_msp"` // joint classifier, max-softmax
	Frozen        ToyMetrics `json:"frozen_flow"` // flow not updated in stage 2, JS score
	// Standard deviations over the seeds (zero for one seed).
	MSPStd      ToyMetrics `json:"msp_std"`
	NFlowJSStd  ToyMetrics `json:"nflowjs_std"`
	FrozenStd   ToyMetrics `json:"frozen_flow_std"`
	BaselineAcc float64    `json:"baseline_accuracy"` // closed-set accuracy on test inliers
	JointAcc    float64    `json:"nflowjs_accuracy"`
	SampleTemp  float32    `json:"sample_temperature"`
	LambdaGen   float32    `json:"lambda_gen"`
	Seconds     float64    `json:"seconds"`
}

// RunToy trains the 2-D toy with steps pre-training and steps joint steps
// for every seed, plus the frozen-flow ablation, and writes toy.json (means
// and standard deviations over the seeds) and the figures of the paper's
// Figure 2 (first seed) and Figure 3 (left) into dir.
func RunToy(dir string, steps int, seeds []uint64) (*ToyResult, error) {
	start := time.Now()
	if steps <= 0 || len(seeds) == 0 {
		return nil, fmt.Errorf("experiment: toy needs positive steps and a seed, have %d steps, %d seeds", steps, len(seeds))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var msp, nf, jm, fr [][3]float64
	var accB, accJ float64
	out := &ToyResult{PretrainSteps: steps, JointSteps: steps, Seeds: seeds}
	for i, seed := range seeds {
		cfg := toy.DefaultConfig()
		cfg.Seed, cfg.PretrainSteps, cfg.JointSteps = seed, steps, steps
		r, err := toy.Run(cfg)
		if err != nil {
			return nil, err
		}
		cfg.FreezeFlow = true
		frozen, err := toy.Run(cfg)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			if err := toy.Figure2(r, filepath.Join(dir, ToyFigure2)); err != nil {
				return nil, err
			}
			out.SampleTemp, out.LambdaGen = r.Config.SampleTemp, r.Config.LambdaGen
		}
		vec := func(b metrics.Binary) [3]float64 { return [3]float64{b.AP, b.AUROC, b.FPR95} }
		msp, nf, jm, fr = append(msp, vec(r.MSP)), append(nf, vec(r.NFlowJS)), append(jm, vec(r.JointMSP)), append(fr, vec(frozen.NFlowJS))
		accB += r.BaselineAcc / float64(len(seeds))
		accJ += r.JointAcc / float64(len(seeds))
	}
	if err := toy.Figure3Left(filepath.Join(dir, ToyFigure3L)); err != nil {
		return nil, err
	}
	out.MSP, out.MSPStd = toyStats(msp)
	out.NFlowJS, out.NFlowJSStd = toyStats(nf)
	out.JointMSP, _ = toyStats(jm)
	out.Frozen, out.FrozenStd = toyStats(fr)
	out.BaselineAcc, out.JointAcc = accB, accJ
	out.Seconds = time.Since(start).Seconds()
	b, _ := json.MarshalIndent(out, "", "  ")
	if err := atomicfile.WriteFile(filepath.Join(dir, ToyFile), append(b, '\n')); err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	return out, nil
}

// toyStats returns the mean and standard deviation of (AP, AUROC, FPR95)
// triples.
func toyStats(v [][3]float64) (mean, std ToyMetrics) {
	var m, sd [3]float64
	for j := 0; j < 3; j++ {
		col := make([]float64, len(v))
		for i := range v {
			col[i] = v[i][j]
		}
		s := stat(col)
		m[j], sd[j] = s.Mean, s.Std
	}
	return ToyMetrics{m[0], m[1], m[2]}, ToyMetrics{sd[0], sd[1], sd[2]}
}

// ReadToy reads the toy.json of a toy step directory.
func ReadToy(dir string) (*ToyResult, error) {
	b, err := os.ReadFile(filepath.Join(dir, ToyFile))
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var t ToyResult
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("experiment: %s: %w", filepath.Join(dir, ToyFile), err)
	}
	return &t, nil
}

// buildRevision returns the VCS revision recorded in the binary, or asks
// git (read-only) when the build did not stamp one.
func buildRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if exec.Command("git", "diff", "--quiet", "HEAD").Run() != nil {
		rev += " (with uncommitted changes)"
	}
	return rev
}
