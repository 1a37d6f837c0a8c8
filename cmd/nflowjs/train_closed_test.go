package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset/datasettest"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/train"
)

// runCLI runs this test binary as the nflowjs command in a subprocess (a
// fresh flag set per call, unlike rootCmd.Execute in-process) and returns
// its combined output.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), testAsCLIEnv+"=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTrainClosedCLI drives `nflowjs train closed` as a user does: a short
// run writes a loadable bundle, a second run into the same directory is
// refused, --resume continues with the saved configuration (the crop given
// at the start is kept), and bad flags are named in the error.
func TestTrainClosedCLI(t *testing.T) {
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
	out := filepath.Join(t.TempDir(), "run")
	base := []string{"train", "closed", "--data", data, "--out", out, "--preset", "tiny", "--batch", "2",
		"--steps-per-epoch", "2", "--seed", "3", "--workers", "1"}
	if log, err := runCLI(t, append(base, "--epochs", "1", "--crop", "32x32")...); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	b, err := seg.LoadBundle(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Info.Classes; len(got) != 2 || got[0] != "a" {
		t.Errorf("bundle classes %v", got)
	}
	if rows, err := train.ReadLog(filepath.Join(out, train.LogFile)); err != nil || len(rows) != 1 {
		t.Fatalf("%d log rows after 1 epoch (%v)", len(rows), err)
	}

	log, err := runCLI(t, append(base, "--epochs", "1")...)
	if err == nil || !strings.Contains(log, "--resume") {
		t.Fatalf("second run into %s: err %v, output\n%s", out, err, log)
	}

	if log, err := runCLI(t, "train", "closed", "--out", out, "--resume", "--epochs", "2", "--workers", "1"); err != nil {
		t.Fatalf("resume: %v\n%s", err, log)
	}
	if rows, err := train.ReadLog(filepath.Join(out, train.LogFile)); err != nil || len(rows) != 2 {
		t.Fatalf("%d log rows after resuming to 2 epochs (%v)", len(rows), err)
	}
	saved, err := train.LoadClosedConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Epochs != 2 || saved.CropH != 32 || saved.CropW != 32 || saved.Seed != 3 {
		t.Errorf("saved config after resume: epochs %d crop %dx%d seed %d", saved.Epochs, saved.CropH, saved.CropW, saved.Seed)
	}

	if log, err := runCLI(t, "train", "closed", "--out", filepath.Join(t.TempDir(), "nodata")); err == nil || !strings.Contains(log, `"data"`) {
		t.Errorf("no --data: err %v, output\n%s", err, log)
	}
	for _, bad := range [][]string{
		{"--epochs", "1", "--crop", "0x5"},
		{"--epochs", "1", "--preset", "huge"},
	} {
		args := append(append([]string{}, base...), bad...)
		args[5] = filepath.Join(t.TempDir(), "bad") // a fresh --out
		log, err := runCLI(t, args...)
		if err == nil || !(strings.Contains(log, bad[2]) || strings.Contains(log, strings.TrimPrefix(bad[2], "--"))) {
			t.Errorf("%v: err %v, output\n%s", bad, err, log)
		}
	}
}
