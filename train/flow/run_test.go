package flow

import (
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/dataset/datasettest"
	"github.com/nflowjs/nflowjs/internal/killtest"
	nf "github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/train"
)

// Environment of the kill-at-every-write child.
const (
	envChildData = "NFLOWJS_FLOW_TEST_DATA"
	envChildOut  = "NFLOWJS_FLOW_TEST_OUT"
)

func TestMain(m *testing.M) {
	killtest.MaybeChild(func() error {
		return Run(context.Background(), killConfig(os.Getenv(envChildData), os.Getenv(envChildOut)), nil, nil)
	})
	os.Exit(m.Run())
}

// killConfig is the run TestKillAtEveryWrite interrupts: three one-step
// epochs of a tiny RealNVP.
func killConfig(data, out string) Config {
	c := DefaultConfig(data, out)
	c.Kind, c.Crop, c.Batch, c.EpochSteps, c.Steps, c.ValCrops, c.Warmup, c.Seed = "realnvp", 16, 2, 1, 3, 2, 1, 7
	c.Resume = true
	return c
}

// TestKillAtEveryWrite kills flow pre-training at every stage of every
// file write and resumes it: each interruption ends bit-identical to an
// uninterrupted run (checkpoint and model), with one log row per epoch and
// no temporaries or lock left.
func TestKillAtEveryWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary once per write")
	}
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
	straight := filepath.Join(t.TempDir(), "straight")
	if err := Run(context.Background(), killConfig(data, straight), nil, nil); err != nil {
		t.Fatal(err)
	}
	stages := killtest.Count(t, envChildData+"="+data, envChildOut+"="+filepath.Join(t.TempDir(), "count"))
	for at := 1; at <= stages; at++ {
		dir := filepath.Join(t.TempDir(), "run")
		killtest.Kill(t, at, envChildData+"="+data, envChildOut+"="+dir)
		if err := Run(context.Background(), killConfig(data, dir), nil, nil); err != nil {
			t.Fatalf("stage %d: resume: %v", at, err)
		}
		killtest.SameCheckpoints(t, at, dir, straight, StateFile, ModelFile)
		if rows, err := train.ReadLog(filepath.Join(dir, LogFile)); err != nil || len(rows) != 3 {
			t.Errorf("stage %d: %d log rows (%v), want 3", at, len(rows), err)
		}
		killtest.NoLeftovers(t, at, dir)
	}
	t.Logf("killed and resumed at each of %d write stages", stages)
}

func TestTrainFlowResumeAndSample(t *testing.T) {
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
	out := filepath.Join(t.TempDir(), "run")
	o := Config{Data: data, Out: out, Kind: "denseflow", Preset: "denseflow-tiny", Crop: 16, Batch: 4,
		Epochs: 1, EpochSteps: 2, Steps: 2, ValCrops: 6, LR: 1e-3, Clip: 50, Warmup: 3, Seed: 3, SampleTemperature: 0.8}
	if err := Run(context.Background(), o, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	// A second run without --resume must refuse to overwrite.
	if err := Run(context.Background(), o, io.Discard, io.Discard); err == nil {
		t.Fatal("training into an existing run without --resume succeeded")
	}
	o.Resume, o.Steps = true, 4
	if err := Run(context.Background(), o, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	rows, err := train.ReadLog(filepath.Join(out, LogFile))
	if err != nil || len(rows) != 2 || rows[1]["step"].(float64) != 4 {
		t.Fatalf("log rows %v, want 2 epochs ending at step 4", rows)
	}
	for _, r := range rows {
		if _, ok := r["val_bpd"].(float64); !ok {
			t.Errorf("row without a validation bpd: %v", r)
		}
	}
	f, meta, err := nf.Load(filepath.Join(out, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if meta["step"] != "4" || meta[nf.MetaCrop] != "16" || f.Config().Kind != nf.DenseFlow {
		t.Errorf("checkpoint meta %v, kind %s", meta, f.Config().Kind)
	}
	// Resuming must reproduce an uninterrupted run bit for bit: per-step
	// generators, restored Adamax state, no re-initialisation of actnorm.
	straight := o
	straight.Out, straight.Resume = filepath.Join(t.TempDir(), "straight"), false
	if err := Run(context.Background(), straight, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	g, _, err := nf.Load(filepath.Join(straight.Out, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	gsd := g.StateDict()
	for k, v := range f.StateDict() {
		for i := range v.Data {
			if v.Data[i] != gsd[k].Data[i] {
				t.Fatalf("%s[%d]: resumed %g, uninterrupted %g", k, i, v.Data[i], gsd[k].Data[i])
			}
		}
	}
}

func TestCropSourceAvoidsAnomalies(t *testing.T) {
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
	ds, err := dataset.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	val, err := ds.Split(dataset.SplitVal)
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewCropSource(val, 16)
	if err != nil {
		t.Fatal(err)
	}
	s, err := src.load(1) // the image with an anomaly in its top-left 20×20
	if err != nil {
		t.Fatal(err)
	}
	if !src.hasAnomaly(s, 0, 0) || src.hasAnomaly(s, 16, 32) {
		t.Fatal("hasAnomaly misreads the anomaly blob")
	}
	// Image 1 is half of the split and most of its 16×16 crops touch the
	// blob, so a sampler that did not redraw would fail here quickly.
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 100; i++ {
		s, top, left, err := src.pick(rng)
		if err != nil {
			t.Fatal(err)
		}
		if src.hasAnomaly(s, top, left) {
			t.Fatalf("crop at (%d,%d) of %s contains anomaly pixels", top, left, s.ID)
		}
	}
	small, err := NewCropSource(val, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := small.Batch(1, false, rng); err == nil {
		t.Error("a 64-pixel crop of 32x48 images succeeded")
	}
}

func TestWarmupLR(t *testing.T) {
	for _, c := range []struct {
		step, warmup int
		want         float64
	}{{0, 4, 0.25}, {3, 4, 1}, {10, 4, 1}, {0, 0, 1}} {
		if got := warmupLR(1, c.step, c.warmup); got != c.want {
			t.Errorf("warmupLR(step %d, warmup %d) = %g, want %g", c.step, c.warmup, got, c.want)
		}
	}
}

// The states a kill can leave a flow run in, each resumed to the result of
// an uninterrupted run: a log row written whose checkpoint was not, a
// temporary file of an interrupted write, and a checkpoint renamed into
// place whose nf.safetensors was not (the model file is older).
func TestTrainFlowResumesEveryKillState(t *testing.T) {
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
	o := Config{Data: data, Kind: "realnvp", Preset: "realnvp-tiny", Crop: 16, Batch: 2,
		Epochs: 1, EpochSteps: 1, Steps: 2, ValCrops: 2, LR: 1e-3, Clip: 50, Warmup: 1, Seed: 5, SampleTemperature: 0.8}
	straight := o
	straight.Out = filepath.Join(t.TempDir(), "straight")
	if err := Run(context.Background(), straight, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	o.Out = filepath.Join(t.TempDir(), "killed")
	o.Steps = 1
	if err := Run(context.Background(), o, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	older, err := os.ReadFile(filepath.Join(o.Out, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	// Killed after epoch 2's log row, before its checkpoint; and during a
	// write.
	lf, _ := os.OpenFile(filepath.Join(o.Out, LogFile), os.O_APPEND|os.O_WRONLY, 0o644)
	lf.WriteString(`{"epoch":2,"step":2,"train_bpd":9}` + "\n")
	lf.Close()
	tmp := filepath.Join(o.Out, "."+StateFile+".tmp-42")
	os.WriteFile(tmp, []byte("half"), 0o600)
	o.Resume, o.Steps = true, 2
	if err := Run(context.Background(), o, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary of an interrupted write left after resume: %v", err)
	}
	rows, err := train.ReadLog(filepath.Join(o.Out, LogFile))
	if err != nil || len(rows) != 2 || rows[1]["step"].(float64) != 2 || rows[1]["train_bpd"].(float64) == 9 {
		t.Errorf("log rows %v: want epoch 1 and the redone epoch 2", rows)
	}
	// Killed between the checkpoint's rename and the model file's.
	if err := os.WriteFile(filepath.Join(o.Out, ModelFile), older, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), o, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ModelFile, StateFile} {
		a, _, err := checkpoint.Load(filepath.Join(o.Out, name))
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := checkpoint.Load(filepath.Join(straight.Out, name))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range b {
			if !slices.Equal(a[k].Data, v.Data) {
				t.Errorf("%s %s: resumed run differs from the uninterrupted one", name, k)
			}
		}
	}
}
