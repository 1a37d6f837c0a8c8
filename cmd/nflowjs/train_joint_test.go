package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset/datasettest"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/seg"
)

// TestTrainJointCmd runs two joint steps through the CLI and checks that
// the output is a bundle with the JS score, and that bad flags fail.
func TestTrainJointCmd(t *testing.T) {
	root := t.TempDir()
	data := filepath.Join(root, "data")
	datasettest.WriteTinyFolder(t, data) // 2 classes, 32×48, train + val
	cfg, err := seg.PresetConfig("tiny", 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	segDir := filepath.Join(root, "seg")
	if err := seg.SaveBundle(segDir, m, seg.NewInfo(m, []string{"a", "b"}, "msp", "closed")); err != nil {
		t.Fatal(err)
	}
	f, err := flow.New(flow.Config{Kind: flow.RealNVP, InChannels: 3, Levels: 2, Units: 1, StepsPerUnit: 1, Width: 8, Mixing: flow.MixSwap}, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	flowPath := filepath.Join(root, "flow.safetensors")
	if err := f.Save(flowPath, nil); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := newTrainJointCmd()
		var out bytes.Buffer
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	out := filepath.Join(root, "joint")
	base := []string{"--data", data, "--seg", segDir, "--flow", flowPath, "--batch", "2", "--patch-min", "8", "--patch-max", "16"}
	stdout, err := run(append(base, "--out", out, "--steps", "2", "--no-progress", "--log-every", "1")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if !strings.Contains(stdout, "step 2  CE") || !strings.Contains(stdout, "val mIoU") {
		t.Errorf("unexpected output:\n%s", stdout)
	}
	b, err := seg.LoadBundle(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.Info.Score != "js" || b.Info.Stage != "joint" {
		t.Errorf("bundle score %q stage %q", b.Info.Score, b.Info.Stage)
	}
	for _, bad := range [][]string{
		{"--neg-loss", "l2"},
		{"--negatives", "gan"},
		{"--crop", "1,2,3"},
		{"--patch-min", "40", "--patch-max", "48"}, // no multiple of 4 fits 32 rows
	} {
		if _, err := run(append(append(base, "--out", filepath.Join(root, "bad")), bad...)...); err == nil {
			t.Errorf("flags %v accepted", bad)
		}
	}
}
