//go:build ort

package onnx

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/nflowjs/nflowjs/internal/convention"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/npy"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// TestONNXRuntime exports every architecture — the tiny, small, base and
// ldn121 presets and the imported torchvision and NVIDIA networks, with
// random weights and random batch-norm statistics — and runs the files in
// the real ONNX Runtime (tools/onnx/run_ort.js; NODE_PATH must reach
// onnxruntime-node, which .ci/run installs): the logits must equal
// nflowjs's, and the score ONNX Runtime computes must equal nflowjs's
// score of those logits, within 1e-4 of their largest magnitude; so must
// the score end to end.
func TestONNXRuntime(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is required by the ort build tag")
	}
	type model struct {
		name string
		cfg  seg.Config
		h, w int
	}
	var models []model
	for _, p := range []string{"tiny", "small", "base", "ldn121"} {
		cfg, err := seg.PresetConfig(p, 5)
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, model{p, cfg, 256, 512})
	}
	uno, err := seg.PresetConfig("tiny", 5)
	if err != nil {
		t.Fatal(err)
	}
	uno.Head = seg.HeadUNO // K+1 outputs: the graph slices the logits and scores uno on all
	models = append(models, model{"tiny-uno", uno, 128, 256})
	for _, a := range []string{"fcn_resnet50", "deeplabv3_resnet50", "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large", "deepwv3plus"} {
		models = append(models, model{a, seg.Config{Arch: a, NumClasses: 5}, 128, 256})
	}
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	for _, md := range models {
		t.Run(md.name, func(t *testing.T) {
			m, err := seg.New(md.cfg, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			for name, p := range nn.StateDict(m) { // non-trivial batch-norm statistics
				switch {
				case len(name) > 12 && name[len(name)-12:] == "running_mean":
					for i := range p.Data {
						p.Data[i] = float32(rng.NormFloat64() * 0.1)
					}
				case len(name) > 11 && name[len(name)-11:] == "running_var":
					for i := range p.Data {
						p.Data[i] = float32(0.5 + rng.Float64())
					}
				}
			}
			// Random weights give logits anywhere from 1e-1 (near-uniform
			// softmax, JS ≈ 1e-4: all cancellation) to 1e4 (saturated):
			// scale the final linear layer so that max|logit| is 5, a
			// trained model's range, where the score is well conditioned.
			probe := tensor.New(1, 3, md.h, md.w)
			for i := range probe.Data {
				probe.Data[i] = float32(rng.NormFloat64())
			}
			pl, err := m.Logits(probe)
			if err != nil {
				t.Fatal(err)
			}
			var lmax float32
			for _, v := range pl.Data {
				lmax = max(lmax, v, -v)
			}
			scaled := 0
			for name, p := range nn.StateDict(m) {
				if headLayer.MatchString(name) {
					for i := range p.Data {
						p.Data[i] *= 5 / lmax
					}
					scaled++
				}
			}
			if scaled == 0 {
				t.Fatal("no final layer found to scale")
			}
			info := seg.NewInfo(m, []string{"a", "b", "c", "d", "e"}, "js", "test")
			info.Mean, info.Std = convention.Mean, convention.Std
			b := &seg.Bundle{Model: m, Info: info}
			scores := []string{"js", "msp"}
			if m.HasNegativeClass() {
				scores = append(scores, "uno")
			}
			for _, score := range scores {
				raw, err := Export(b, Options{H: md.h, W: md.w, Score: score})
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join(root, md.name+"-"+score)
				os.MkdirAll(dir, 0o755)
				file := filepath.Join(dir, "m.onnx")
				os.WriteFile(file, raw, 0o644)
				x := tensor.New(1, 3, md.h, md.w)
				for i := range x.Data {
					x.Data[i] = float32(rng.NormFloat64())
				}
				var in bytes.Buffer
				npy.WriteFloat32(&in, x.Shape, x.Data)
				os.WriteFile(filepath.Join(dir, "x.npy"), in.Bytes(), 0o644)
				cmd := exec.Command("node", "../tools/onnx/run_ort.js", file, filepath.Join(dir, "x.npy"), filepath.Join(dir, "out"))
				if outp, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("onnxruntime: %v\n%s", err, outp)
				}
				logits, err := m.Logits(x)
				if err != nil {
					t.Fatal(err)
				}
				spec, _ := ood.ParseScore(score)
				kind, temp, scored := spec.Def().Kind, spec.Temperature(), logits
				if spec.Def().NegativeClass {
					temp = 1
					if scored, err = m.AllLogits(x); err != nil {
						t.Fatal(err)
					}
				}
				sc, err := ood.Compute(kind, scored, temp)
				if err != nil {
					t.Fatal(err)
				}
				ortLogits := compare(t, md.name+" "+score+" logits", filepath.Join(dir, "out_logits.npy"), logits.Data, true)
				if !spec.Def().NegativeClass {
					// The score graph on ONNX Runtime's own logits: random
					// ResNets give logits of ~1e4, where the saturated softmax
					// turns a 2e-6 relative logit difference into 1e-3 of score,
					// so the score graph is checked on identical logits.
					own, err := ood.Compute(kind, tensor.FromData(ortLogits, logits.Shape...), temp)
					if err != nil {
						t.Fatal(err)
					}
					compare(t, md.name+" "+score+" score (on ORT's logits)", filepath.Join(dir, "out_score.npy"), own.Data, true)
				}
				compare(t, md.name+" "+score+" score (end to end)", filepath.Join(dir, "out_score.npy"), sc.Data, true)
			}
		})
	}
}

// headLayer matches the final linear layer of every architecture here.
var headLayer = regexp.MustCompile(`^(classifier\.4|classifier\.(low|high)_classifier|final\.6|decoder\.logits)\.(weight|bias)$`)

func compare(t *testing.T, what, file string, want []float32, strict bool) []float32 {
	t.Helper()
	_, got, err := npy.ReadFloat32(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var worst, mx float64
	for i, w := range want {
		worst = math.Max(worst, math.Abs(float64(got[i]-w)))
		mx = math.Max(mx, math.Abs(float64(w)))
	}
	t.Logf("%s: max |ORT − nflowjs| %.3g of max %.3g (%.2g)", what, worst, mx, worst/mx)
	if strict && worst > 1e-4*mx {
		t.Errorf("%s: ONNX Runtime differs by %.3g (max %.3g)", what, worst, mx)
	}
	return got
}
