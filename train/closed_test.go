package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/dataset/synth"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/internal/killtest"
	"github.com/nflowjs/nflowjs/internal/runlock"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
)

// testData is a small procedural road dataset shared by the tests
// (generated once in TestMain).
var testData string

// Environment variables of the child processes of TestResumeAfterKill and
// TestKillAtEveryWrite.
const (
	envChildOut  = "NFLOWJS_TRAIN_TEST_CHILD_OUT"
	envChildData = "NFLOWJS_TRAIN_TEST_CHILD_DATA"
)

func TestMain(m *testing.M) {
	killtest.MaybeChild(func() error {
		_, err := RunClosed(context.Background(), killAtConfig(os.Getenv(envChildData), os.Getenv(envChildOut)))
		return err
	})
	if out := os.Getenv(envChildOut); out != "" {
		// Child mode: train until killed (or done) and exit.
		_, err := RunClosed(context.Background(), killTestConfig(os.Getenv(envChildData), out))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "nflowjs-train-test")
	if err != nil {
		panic(err)
	}
	testData = filepath.Join(dir, "road")
	cfg := synth.Config{Kind: "road", Out: testData, Seed: 3, Train: 16, Val: 4, Test: 0, Height: 32, Width: 64}
	if err := synth.Generate(context.Background(), cfg); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// smallModel is a 3-block (stride 16) model far below the tiny preset.
func smallModel() *seg.Config {
	return &seg.Config{StemWidth: 16, Growth: 8, BlockLayers: []int{2, 2, 2}, Compression: 0.5,
		SPPWidth: 16, SPPGrids: []int{1, 2}, DecoderWidth: 24, Dropout: 0.1}
}

func testConfig(data, out string) ClosedConfig {
	c := DefaultClosedConfig(data, out)
	c.Model = smallModel()
	c.Batch = 4
	c.Epochs = 3
	c.Workers = 2
	return c
}

// killTestConfig runs long enough (several epochs of ~0.1-0.5 s) for the
// parent to kill it between checkpoints.
func killTestConfig(data, out string) ClosedConfig {
	c := testConfig(data, out)
	c.Epochs = 8
	c.Resume = true
	return c
}

func TestClosedLearns(t *testing.T) {
	out := t.TempDir()
	cfg := testConfig(testData, out)
	cfg.Epochs = 40
	cfg.Jitter, cfg.MinScale, cfg.MaxScale = 0, 0, 0
	var log bytes.Buffer
	cfg.Stdout = &log
	res, err := RunClosed(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := res.History
	if len(h) != cfg.Epochs || res.Epochs != cfg.Epochs || res.Steps != cfg.Epochs*4 {
		t.Fatalf("ran %d epochs / %d steps", res.Epochs, res.Steps)
	}
	if !(h[len(h)-1].TrainLoss < 0.6*h[0].TrainLoss) {
		t.Errorf("train loss %g -> %g did not fall by 40%%", h[0].TrainLoss, h[len(h)-1].TrainLoss)
	}
	// mIoU on the training images versus an untrained model of the same
	// seed (chance level) and versus predicting the majority class.
	ds, _ := dataset.Open(testData)
	split, _ := ds.Split(dataset.SplitTrain)
	ld, err := NewValLoader(split, 8)
	if err != nil {
		t.Fatal(err)
	}
	trained, err := Validate(context.Background(), res.Model, ld, 8)
	if err != nil {
		t.Fatal(err)
	}
	mc := res.Model.Config()
	untrainedModel, err := seg.New(mc, newRand(cfg.Seed, streamInit))
	if err != nil {
		t.Fatal(err)
	}
	untrained, err := Validate(context.Background(), untrainedModel, ld, 8)
	if err != nil {
		t.Fatal(err)
	}
	majority := majorityShare(trained.Confusion.M, trained.Confusion.K)
	t.Logf("train-batch mIoU %.3f (untrained %.3f), pixel acc %.3f (majority class %.3f)\n%s",
		trained.MIoU, untrained.MIoU, trained.PixelAcc, majority, log.String())
	if !(trained.MIoU > 0.2 && trained.MIoU > 5*untrained.MIoU) {
		t.Errorf("training-batch mIoU %.3f not well above chance (untrained %.3f)", trained.MIoU, untrained.MIoU)
	}
	if !(trained.PixelAcc > majority+0.25) {
		t.Errorf("pixel accuracy %.3f not well above the majority share %.3f", trained.PixelAcc, majority)
	}
	// The run directory is complete and the bundle loads.
	for _, f := range []string{StateFile, LogFile, "loss.png", ClosedConfigFile, seg.WeightsFile, seg.InfoFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	b, err := seg.LoadBundle(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Info.Score != "msp" || b.Info.Temperature != 2 || b.Info.Stage != "closed" || len(b.Info.Classes) != 13 {
		t.Errorf("bundle info %+v", b.Info)
	}
	rows, err := ReadLog(filepath.Join(out, LogFile))
	if err != nil || len(rows) != cfg.Epochs {
		t.Fatalf("log: %d rows, %v", len(rows), err)
	}
	if v, ok := rows[len(rows)-1]["val_miou"].(float64); !ok || v <= 0 {
		t.Errorf("last log row %v", rows[len(rows)-1])
	}
	// A second run into the same directory must not clobber it.
	if _, err := RunClosed(context.Background(), cfg); err == nil {
		t.Error("a second run without Resume overwrote the run directory")
	}
}

func majorityShare(m []int64, k int) float64 {
	var total, best int64
	for g := 0; g < k; g++ {
		var row int64
		for p := 0; p < k; p++ {
			row += m[g*k+p]
		}
		total += row
		best = max(best, row)
	}
	return float64(best) / float64(total)
}

// stateEpoch reads the completed epoch recorded in a state file.
func stateEpoch(t *testing.T, path string) int {
	t.Helper()
	st, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	e, err := strconv.Atoi(st.Meta[MetaEpoch])
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestResumeAfterKill runs the trainer in a child process (this test
// binary re-executed), SIGKILLs it right after its first checkpoint, resumes
// the run in-process and compares the final weights and optimizer state
// bit for bit with an uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	killed := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildOut+"="+killed, envChildData+"="+testData)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(killed, StateFile)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(statePath); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 2 minutes; child stderr: %s", stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed: %v (stderr %s)", err, stderr.String())
	}
	cfg := killTestConfig(testData, killed)
	done := stateEpoch(t, statePath)
	if done >= cfg.Epochs {
		t.Fatalf("the child finished all %d epochs before the kill", cfg.Epochs)
	}
	t.Logf("killed after epoch %d of %d", done, cfg.Epochs)
	resumed, err := RunClosed(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Epochs != cfg.Epochs || len(resumed.History) != cfg.Epochs-done {
		t.Fatalf("resumed run: %d epochs, %d in this call", resumed.Epochs, len(resumed.History))
	}

	straight := t.TempDir()
	cfg2 := killTestConfig(testData, straight)
	cfg2.Resume = false
	if _, err := RunClosed(context.Background(), cfg2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{seg.WeightsFile, StateFile} {
		a, _, err := checkpoint.Load(filepath.Join(killed, f))
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := checkpoint.Load(filepath.Join(straight, f))
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("%s: %d vs %d tensors", f, len(a), len(b))
		}
		for k, ta := range a {
			tb := b[k]
			if tb == nil || len(ta.Data) != len(tb.Data) {
				t.Fatalf("%s: tensor %q missing or resized", f, k)
			}
			for i := range ta.Data {
				if math.Float32bits(ta.Data[i]) != math.Float32bits(tb.Data[i]) {
					t.Fatalf("%s: tensor %q differs at %d: %g vs %g", f, k, i, ta.Data[i], tb.Data[i])
				}
			}
		}
	}
	// The resumed log has one row per epoch, identical losses.
	ra, _ := ReadLog(filepath.Join(killed, LogFile))
	rb, _ := ReadLog(filepath.Join(straight, LogFile))
	if len(ra) != cfg.Epochs || len(rb) != cfg.Epochs {
		t.Fatalf("log rows: %d resumed, %d straight", len(ra), len(rb))
	}
	for i := range ra {
		if ra[i]["epoch"] != float64(i+1) || ra[i]["train_loss"] != rb[i]["train_loss"] || ra[i]["val_miou"] != rb[i]["val_miou"] {
			t.Errorf("log row %d: %v vs %v", i, ra[i], rb[i])
		}
	}
}

// TestNonFiniteLossKeepsCheckpoint diverges a run on purpose (a huge
// learning rate after one good epoch) and checks the error and that the
// last good checkpoint survives untouched.
func TestNonFiniteLossKeepsCheckpoint(t *testing.T) {
	out := t.TempDir()
	cfg := testConfig(testData, out)
	cfg.Epochs = 1
	if _, err := RunClosed(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(out, StateFile))
	weights, _ := os.ReadFile(filepath.Join(out, seg.WeightsFile))
	cfg.Epochs, cfg.Resume = 3, true
	cfg.EncoderLR, cfg.DecoderLR = 1e30, 1e30
	_, err := RunClosed(context.Background(), cfg)
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	t.Log(err)
	after, _ := os.ReadFile(filepath.Join(out, StateFile))
	weightsAfter, _ := os.ReadFile(filepath.Join(out, seg.WeightsFile))
	if !bytes.Equal(before, after) || !bytes.Equal(weights, weightsAfter) {
		t.Error("the last good checkpoint was modified")
	}
	if stateEpoch(t, filepath.Join(out, StateFile)) != 1 {
		t.Error("state epoch changed")
	}
	if _, err := seg.LoadBundle(out); err != nil {
		t.Errorf("bundle after divergence: %v", err)
	}
	// Resuming with sane settings continues from the kept checkpoint.
	cfg.EncoderLR, cfg.DecoderLR = DefaultEncoderLR, DefaultDecoderLR
	cfg.Epochs = 2
	res, err := RunClosed(context.Background(), cfg)
	if err != nil || res.Epochs != 2 || len(res.History) != 1 {
		t.Fatalf("resume after divergence: %v", err)
	}
	m := res.Model
	for _, p := range nn.Parameters(m) {
		if p.Value.HasNaNOrInf() {
			t.Fatalf("%s is not finite", p.Name)
		}
	}
}

func TestRunClosedRejectsBadConfig(t *testing.T) {
	for i, f := range []func(*ClosedConfig){
		func(c *ClosedConfig) { c.Epochs = 0 },
		func(c *ClosedConfig) { c.Batch = 0 },
		func(c *ClosedConfig) { c.EncoderLR = 0 },
		func(c *ClosedConfig) { c.DecoderLR = math.Inf(1) },
		func(c *ClosedConfig) { c.MinScale, c.MaxScale = 2, 1 },
		func(c *ClosedConfig) { c.Preset = "huge"; c.Model = nil },
		func(c *ClosedConfig) { c.Data = filepath.Join(t.TempDir(), "missing") },
		func(c *ClosedConfig) { c.Model = smallModel(); c.Model.NumClasses = 5 },
	} {
		c := testConfig(testData, t.TempDir())
		f(&c)
		if _, err := RunClosed(context.Background(), c); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}

// Two runs into one directory: the second fails at once naming the first,
// which completes as if alone.
func TestOneRunPerDirectory(t *testing.T) {
	out := t.TempDir()
	cfg := testConfig(testData, out)
	type result struct {
		res *ClosedResult
		err error
	}
	// The first run's writes wait until the second run has been refused,
	// so the first cannot finish (and unlock) in between, however loaded
	// the machine.
	holding, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	atomicfile.SetTestHook(func(stage, path string) {
		once.Do(func() { close(holding) })
		<-release
	})
	defer atomicfile.SetTestHook(nil)
	unblock := sync.OnceFunc(func() { close(release) })
	defer unblock()
	first := make(chan result, 1)
	go func() {
		res, err := RunClosed(context.Background(), cfg)
		first <- result{res, err}
	}()
	select {
	case <-holding:
	case r := <-first:
		t.Fatalf("the first run ended before writing anything: %v", r.err)
	}
	if _, err := os.Stat(filepath.Join(out, runlock.File)); err != nil {
		t.Fatalf("the first run holds no lock at its first write: %v", err)
	}
	start := time.Now()
	second := cfg
	second.Resume = true
	_, err := RunClosed(context.Background(), second)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("in use by process %d", os.Getpid())) {
		t.Fatalf("second run into %s: %v", out, err)
	}
	t.Logf("second run refused after %v: %v", time.Since(start), err)
	unblock()
	r := <-first
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.res.Epochs != cfg.Epochs {
		t.Errorf("first run: %d epochs", r.res.Epochs)
	}
	if _, err := seg.LoadBundle(out); err != nil {
		t.Errorf("bundle of the first run: %v", err)
	}
}

// A kill after the last state save but before the bundle's leaves the
// previous epoch's bundle; --resume must rewrite it from the state (and
// clear the temporaries of interrupted writes), not exit with it stale.
func TestResumeRewritesAStaleBundle(t *testing.T) {
	straight := t.TempDir()
	cfg := testConfig(testData, straight)
	cfg.Epochs = 2
	if _, err := RunClosed(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// Stop after epoch 1 of 2 (the schedule spans both epochs).
	killed := t.TempDir()
	cfg.Out = killed
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Stdout = cancelOnWrite{"epoch 1/2", cancel}
	if _, err := RunClosed(ctx, cfg); err == nil {
		t.Fatal("the stopped run finished")
	}
	cfg.Stdout = nil
	old := map[string][]byte{}
	for _, f := range []string{seg.WeightsFile, seg.InfoFile} {
		b, err := os.ReadFile(filepath.Join(killed, f))
		if err != nil {
			t.Fatal(err)
		}
		old[f] = b
	}
	cfg.Resume = true
	if _, err := RunClosed(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for f, b := range old { // the kill: epoch 2's state, epoch 1's bundle
		os.WriteFile(filepath.Join(killed, f), b, 0o644)
	}
	tmp := filepath.Join(killed, "."+seg.WeightsFile+".tmp-7")
	os.WriteFile(tmp, []byte("partial"), 0o600)
	res, err := RunClosed(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.History) != 0 {
		t.Errorf("resume of a finished run trained %d epochs", len(res.History))
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary left after resume: %v", err)
	}
	a, _, err := checkpoint.Load(filepath.Join(killed, seg.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := checkpoint.Load(filepath.Join(straight, seg.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range b {
		if !slices.Equal(a[k].Data, v.Data) {
			t.Fatalf("bundle tensor %s differs from the uninterrupted run's", k)
		}
	}
	bd, err := seg.LoadBundle(killed)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := bd.Info.Extra["epoch"].(float64); e != 2 {
		t.Errorf("model.json says epoch %v, want 2", bd.Info.Extra["epoch"])
	}
}

// cancelOnWrite cancels a context when a line containing after is written.
type cancelOnWrite struct {
	after  string
	cancel func()
}

func (c cancelOnWrite) Write(p []byte) (int, error) {
	if strings.Contains(string(p), c.after) {
		c.cancel()
	}
	return len(p), nil
}

// killAtConfig is the run TestKillAtEveryWrite interrupts: two short epochs.
func killAtConfig(data, out string) ClosedConfig {
	c := testConfig(data, out)
	c.Epochs = 2
	c.Resume = true
	return c
}

// TestKillAtEveryWrite kills a training run at every stage of every file
// write (each checkpoint's temporary complete, each rename done) and
// resumes it: every interruption must end bit-identical to an
// uninterrupted run, with the log complete and no temporaries or lock
// left behind.
func TestKillAtEveryWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary once per write")
	}
	straight := t.TempDir()
	cfg := killAtConfig(testData, straight)
	cfg.Resume = false
	if _, err := RunClosed(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	stages := killtest.Count(t, envChildOut+"="+t.TempDir(), envChildData+"="+testData)
	for at := 1; at <= stages; at++ {
		dir := t.TempDir()
		killtest.Kill(t, at, envChildOut+"="+dir, envChildData+"="+testData)
		if _, err := RunClosed(context.Background(), killAtConfig(testData, dir)); err != nil {
			t.Fatalf("stage %d: resume: %v", at, err)
		}
		killtest.SameCheckpoints(t, at, dir, straight, StateFile, seg.WeightsFile)
		rows, err := ReadLog(filepath.Join(dir, LogFile))
		if err != nil || len(rows) != cfg.Epochs {
			t.Errorf("stage %d: %d log rows (%v)", at, len(rows), err)
		}
		killtest.NoLeftovers(t, at, dir)
	}
	t.Logf("killed and resumed at each of %d write stages", stages)
}
