package joint

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/internal/killtest"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/gan"
	"github.com/nflowjs/nflowjs/models/seg"
)

// writeTinyDataset writes a generic-format dataset of n 32×64 images with
// k classes (each image: horizontal bands of classes, noisy colours).
func writeTinyDataset(t *testing.T, dir string, n, k int) {
	t.Helper()
	meta := map[string]any{"name": "tiny", "classes": []string{"a", "b", "c"}[:k], "ignore_label": 255, "anomaly_label": 254}
	raw, _ := json.Marshal(meta)
	if err := os.WriteFile(filepath.Join(dir, "dataset.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, split := range []string{"train", "val"} {
		for _, sub := range []string{"images", "labels"} {
			if err := os.MkdirAll(filepath.Join(dir, split, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	const h, w = 32, 64
	for i := range n + 2 { // the last two images form the val split
		split := "train"
		if i >= n {
			split = "val"
		}
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		lab := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			c := (y*k/h + i) % k
			for x := range w {
				v := uint8(60*c + rng.IntN(40))
				img.Set(x, y, color.RGBA{v, 255 - v, uint8(rng.IntN(256)), 255})
				lab.SetGray(x, y, color.Gray{uint8(c)})
			}
		}
		for sub, im := range map[string]image.Image{"images": img, "labels": lab} {
			f, err := os.Create(filepath.Join(dir, split, sub, "im"+string(rune('a'+i))+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, im); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// fixture builds a dataset, a stage-1 bundle and a pre-trained flow file.
func fixture(t *testing.T) (data, segDir, flowPath string) {
	return fixtureArch(t, "")
}

// fixtureArch is fixture with the stage-1 model of an imported
// architecture (seg.Config.Arch; "" for the tiny LDN preset).
func fixtureArch(t *testing.T, arch string) (data, segDir, flowPath string) {
	t.Helper()
	root := t.TempDir()
	data, segDir, flowPath = filepath.Join(root, "data"), filepath.Join(root, "seg"), filepath.Join(root, "flow.safetensors")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTinyDataset(t, data, 6, 3)
	cfg, err := seg.PresetConfig("tiny", 3)
	if err != nil {
		t.Fatal(err)
	}
	switch arch {
	case "":
	case "ldn121": // the paper's LDN-121 (DenseNet-121 encoder)
		if cfg, err = seg.PresetConfig(arch, 3); err != nil {
			t.Fatal(err)
		}
	default:
		cfg = seg.Config{Arch: arch, NumClasses: 3}
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	info := seg.NewInfo(m, []string{"a", "b", "c"}, "msp", "closed")
	if err := seg.SaveBundle(segDir, m, info); err != nil {
		t.Fatal(err)
	}
	if err := tinyFlow(flow.RealNVP, 3).Save(flowPath, nil); err != nil {
		t.Fatal(err)
	}
	return data, segDir, flowPath
}

func smallConfig(data, segDir, flowPath, out string) Config {
	c := DefaultConfig()
	c.Data, c.Seg, c.Flow, c.Out = data, segDir, flowPath, out
	c.Steps, c.Batch, c.PatchMin, c.PatchMax = 4, 2, 8, 16
	c.LogEvery, c.CheckpointEvery, c.Workers = 1, 2, 1
	c.Lambda = 0.5
	return c
}

// TestRunResumeAndBundle runs a tiny joint training twice — straight
// through, and interrupted after 2 steps then resumed — and checks that
// both end bit-identical, and that the output is a loadable seg Bundle
// with the JS score.
func TestRunResumeAndBundle(t *testing.T) {
	data, segDir, flowPath := fixture(t)
	ctx := context.Background()
	full := filepath.Join(t.TempDir(), "full")
	if _, err := Run(ctx, smallConfig(data, segDir, flowPath, full), nil, nil); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(t.TempDir(), "part")
	c := smallConfig(data, segDir, flowPath, part)
	// Interrupted after step 3: the log row of step 3 lies beyond the
	// checkpoint of step 2 and must be replaced by the resumed run's.
	cctx, cancel := context.WithCancel(ctx)
	afterStepHook = func(done int) {
		if done == 3 {
			cancel()
		}
	}
	_, err := Run(cctx, c, nil, nil)
	afterStepHook = nil
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v", err)
	}
	if _, err := Run(ctx, c, nil, nil); err == nil {
		t.Fatal("Run overwrote an existing run without --resume")
	}
	c.Resume = true
	sum, err := Run(ctx, c, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 4 {
		t.Errorf("resumed run ended at step %d", sum.Steps)
	}
	for _, f := range []string{StateFile, FlowFile, "model.safetensors"} {
		a, _, err := checkpoint.Load(filepath.Join(full, f))
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := checkpoint.Load(filepath.Join(part, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d vs %d tensors", f, len(a), len(b))
		}
		for k, ta := range a {
			tb := b[k]
			for i := range ta.Data {
				if ta.Data[i] != tb.Data[i] {
					t.Fatalf("%s %s[%d]: straight run %v, resumed run %v", f, k, i, ta.Data[i], tb.Data[i])
				}
			}
		}
	}
	b, err := seg.LoadBundle(full)
	if err != nil {
		t.Fatal(err)
	}
	if b.Info.Score != "js" || b.Info.Temperature != 2 || b.Info.Stage != "joint" {
		t.Errorf("bundle info score %q T %v stage %q", b.Info.Score, b.Info.Temperature, b.Info.Stage)
	}
	if _, ok := b.Info.Extra["val_miou"].(float64); !ok {
		t.Errorf("bundle info lacks the validation mIoU: %v", b.Info.Extra)
	}
	for _, f := range []string{LogFile, LossPlot, "negatives_start.png", "negatives_end.png", "mixed_start.png", "mixed_end.png", ConfigFile} {
		if _, err := os.Stat(filepath.Join(full, f)); err != nil {
			t.Error(err)
		}
	}
	rows, err := readLog(filepath.Join(part, LogFile))
	if err != nil || len(rows) != 4 || rows[3].Step != 4 {
		t.Errorf("resumed log: %v rows %+v", err, rows)
	}
	// The fine-tuned flow is still a loadable flow.
	if _, _, err := flow.Load(filepath.Join(full, FlowFile)); err != nil {
		t.Error(err)
	}
}

// TestRunAblations runs one step of every negative source and loss.
func TestRunAblations(t *testing.T) {
	data, segDir, flowPath := fixture(t)
	realDir := filepath.Join(data, "train", "images")
	g, err := gan.New(gan.Config{Latent: 4, Width: 4}, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	ganPath := filepath.Join(t.TempDir(), "gan.safetensors")
	if err := g.Save(ganPath, map[string]string{"crop": "16"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"noise-kl", func(c *Config) { c.Negatives, c.NegLoss = "noise", KL }},
		{"none", func(c *Config) { c.Negatives = "none" }},
		{"gmm", func(c *Config) { c.Negatives = "gmm" }},
		{"gan", func(c *Config) { c.Negatives, c.GAN = "gan", ganPath }},
		{"real-rkl", func(c *Config) { c.Negatives, c.NegLoss = "real:"+realDir, RKL }},
		{"frozen-flow", func(c *Config) { c.JointFlow = false }},
		{"scratch-flow", func(c *Config) { c.PretrainedFlow = false }},
		{"neither-pretrained", func(c *Config) { c.PretrainedFlow, c.PretrainedSeg = false, false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig(data, segDir, flowPath, filepath.Join(t.TempDir(), "run"))
			c.Steps = 1
			tc.mod(&c)
			sum, err := Run(context.Background(), c, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Steps != 1 || sum.Skipped != 0 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
	c := smallConfig(data, segDir, flowPath, t.TempDir())
	c.Negatives = "gan"
	if _, err := Run(context.Background(), c, nil, nil); err == nil {
		t.Error("unknown --negatives accepted")
	}
}

// TestFreshClassifier checks --pretrained-seg=false: the run starts from
// new weights, not the stage-1 ones (one step cannot move a converged
// weight tensor by a sizeable fraction of its norm).
func TestFreshClassifier(t *testing.T) {
	data, segDir, flowPath := fixture(t)
	c := smallConfig(data, segDir, flowPath, filepath.Join(t.TempDir(), "run"))
	c.Steps, c.PretrainedSeg, c.PretrainedFlow = 1, false, false
	if _, err := Run(context.Background(), c, nil, nil); err != nil {
		t.Fatal(err)
	}
	pre, err := seg.LoadBundle(segDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := seg.LoadBundle(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	a, b := pre.Model.EncoderParams()[0].Value.Data, got.Model.EncoderParams()[0].Value.Data
	var diff, norm float64
	for i := range a {
		d := float64(a[i] - b[i])
		diff += d * d
		norm += float64(a[i]) * float64(a[i])
	}
	if diff < 0.1*norm {
		t.Errorf("first encoder weight moved by %.3g of its squared norm: the stage-1 weights were kept", diff/norm)
	}
}

func TestFlowCropWarning(t *testing.T) {
	for _, c := range []struct {
		crop, patchMax int
		warn           bool
	}{{0, 64, false}, {32, 32, false}, {64, 32, false}, {16, 32, true}} {
		w := flowCropWarning(c.crop, c.patchMax)
		if (w != "") != c.warn {
			t.Errorf("crop %d patch-max %d: warning %q", c.crop, c.patchMax, w)
		}
	}
}

// Environment of the kill-at-every-write child.
const (
	envChildData = "NFLOWJS_JOINT_TEST_DATA"
	envChildSeg  = "NFLOWJS_JOINT_TEST_SEG"
	envChildFlow = "NFLOWJS_JOINT_TEST_FLOW"
	envChildOut  = "NFLOWJS_JOINT_TEST_OUT"
)

func TestMain(m *testing.M) {
	killtest.MaybeChild(func() error {
		c := smallConfig(os.Getenv(envChildData), os.Getenv(envChildSeg), os.Getenv(envChildFlow), os.Getenv(envChildOut))
		c.Resume = true
		_, err := Run(context.Background(), c, nil, nil)
		return err
	})
	os.Exit(m.Run())
}

// TestKillAtEveryWrite kills joint training at every stage of every file
// write and resumes it: each interruption ends bit-identical to an
// uninterrupted run (state, model, flow), with one log row per step and no
// temporaries or lock left.
//
// It runs for the tiny LDN and for an imported torchvision
// deeplabv3_mobilenet_v3_large (depthwise convolutions, hard-swish,
// squeeze-excitation, ASPP): NFlowJS fine-tuning of a model trained
// elsewhere resumes as exactly.
func TestKillAtEveryWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary once per write")
	}
	for _, arch := range []string{"", "deeplabv3_mobilenet_v3_large", "ldn121"} {
		name := arch
		if name == "" {
			name = "ldn-tiny"
		}
		t.Run(name, func(t *testing.T) { killAtEveryWrite(t, arch) })
	}
}

func killAtEveryWrite(t *testing.T, arch string) {
	data, segDir, flowPath := fixtureArch(t, arch)
	env := func(out string) []string {
		return []string{envChildData + "=" + data, envChildSeg + "=" + segDir, envChildFlow + "=" + flowPath, envChildOut + "=" + out}
	}
	straight := filepath.Join(t.TempDir(), "straight")
	if _, err := Run(context.Background(), smallConfig(data, segDir, flowPath, straight), nil, nil); err != nil {
		t.Fatal(err)
	}
	stages := killtest.Count(t, env(filepath.Join(t.TempDir(), "count"))...)
	step := 1
	if arch != "" {
		step = 4 // every 4th write stage: a child of these larger models costs ~3 s (all 40 pass, 117 s for the MobileNet)
	}
	for at := 1; at <= stages; at += step {
		dir := filepath.Join(t.TempDir(), "run")
		killtest.Kill(t, at, env(dir)...)
		c := smallConfig(data, segDir, flowPath, dir)
		c.Resume = true
		if _, err := Run(context.Background(), c, nil, nil); err != nil {
			t.Fatalf("stage %d: resume: %v", at, err)
		}
		killtest.SameCheckpoints(t, at, dir, straight, StateFile, FlowFile, seg.WeightsFile)
		if rows, err := readLog(filepath.Join(dir, LogFile)); err != nil || len(rows) != 4 {
			t.Errorf("stage %d: %d log rows (%v), want 4", at, len(rows), err)
		}
		killtest.NoLeftovers(t, at, dir)
	}
	t.Logf("killed and resumed at %d of %d write stages", (stages+step-1)/step, stages)
}
