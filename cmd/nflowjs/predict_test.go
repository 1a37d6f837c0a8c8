package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/npy"
)

// saveCmdBundle writes a randomly initialised tiny-preset bundle of the
// infertest classes.
func saveCmdBundle(t *testing.T, thr *float32) string {
	t.Helper()
	cfg, err := seg.PresetConfig("tiny", len(infertest.Classes))
	if err != nil {
		t.Fatal(err)
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	info := seg.NewInfo(m, infertest.Classes, "js", "closed")
	info.Threshold, info.CalibratedOn = thr, "cmd test"
	dir := t.TempDir()
	if err := seg.SaveBundle(dir, m, info); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCmd executes a fresh command (cobra keeps flag state between runs of
// one command, so each run gets its own).
func runCmd(ctx context.Context, cmd *cobra.Command, args ...string) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&o)
	cmd.SetErr(&e)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(ctx)
	return o.String(), e.String(), err
}

func TestPredictCmd(t *testing.T) {
	model := saveCmdBundle(t, nil)
	in := t.TempDir()
	scene := infertest.Scene(40, 24, 10, 8, 6)
	files := map[string][]byte{
		"a.png": infertest.PNG(scene), "b.jpg": infertest.JPEG(scene), "c.PNG": infertest.PNG(infertest.Scene(17, 9, 1, 1, 2)),
		"broken.png": []byte("not a png"), "notes.txt": []byte("ignored"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(in, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(in, "labels"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr, err := runCmd(context.Background(), newPredictCmd(), "--model", model, in, "--out", out)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 input(s) failed") {
		t.Fatalf("err %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	if !strings.Contains(stderr, filepath.Join(in, "broken.png")) || !strings.Contains(stderr, "skipped") {
		t.Errorf("the bad file is not reported:\n%s", stderr)
	}
	if !strings.Contains(stderr, "no calibrated threshold") {
		t.Errorf("no note about the missing threshold:\n%s", stderr)
	}
	if !strings.Contains(stdout, "predicted 3 image(s)") {
		t.Errorf("stdout %q", stdout)
	}
	var got []string
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{"a.json", "a_ood.png", "a_overlay.png", "a_seg.png", "b.json", "b_ood.png", "b_overlay.png", "b_seg.png",
		"c.json", "c_ood.png", "c_overlay.png", "c_seg.png"}
	if !slices.Equal(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
	var sum infer.Summary
	b, _ := os.ReadFile(filepath.Join(out, "c.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum.Width != 17 || sum.Height != 9 || sum.Warning == "" || sum.Image != filepath.Join(in, "c.PNG") {
		t.Errorf("c.json: %v %+v", err, sum)
	}

	// With --threshold: fused outputs, a single file, no failure.
	out2 := t.TempDir()
	stdout, stderr, err = runCmd(context.Background(), newPredictCmd(), "--model", model, filepath.Join(in, "a.png"),
		filepath.Join(in, "a.png"), "--out", out2, "--threshold", "-0.01", "--quiet")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, f := range []string{"a_fused.png", "a-2_fused.png", "a.json"} {
		if _, err := os.Stat(filepath.Join(out2, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	if !strings.Contains(stdout, "threshold -0.01 (--threshold)") || strings.Contains(stderr, "no calibrated threshold") {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}
}

// --score-res native: the summary records it and the layers are written.
func TestPredictCmdScoreRes(t *testing.T) {
	model := saveCmdBundle(t, ptr32(-0.01))
	img := filepath.Join(t.TempDir(), "x.png")
	if err := os.WriteFile(img, infertest.PNG(infertest.Scene(37, 21, 5, 5, 4)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stdout, stderr, err := runCmd(context.Background(), newPredictCmd(), "--model", model, img, "--out", out, "--score-res", "native")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "at native resolution") {
		t.Errorf("stdout %q", stdout)
	}
	var sum infer.Summary
	b, _ := os.ReadFile(filepath.Join(out, "x.json"))
	if err := json.Unmarshal(b, &sum); err != nil || sum.ScoreResolution != "native" || sum.Width != 37 || sum.AnomalousPixels == nil {
		t.Errorf("x.json: %v %+v", err, sum)
	}
	if _, err := os.Stat(filepath.Join(out, "x_fused.png")); err != nil {
		t.Error(err)
	}
}

func TestPredictCmdErrors(t *testing.T) {
	model := saveCmdBundle(t, nil)
	img := filepath.Join(t.TempDir(), "x.png")
	if err := os.WriteFile(img, infertest.PNG(infertest.Scene(8, 8, 0, 0, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{img, "--out", t.TempDir()}, "--model is required"},
		{[]string{"--model", model, img}, "--out is required"},
		{[]string{"--model", t.TempDir(), img, "--out", t.TempDir()}, "model.json"},
		{[]string{"--model", model, "/nonexistent.png", "--out", t.TempDir()}, "no images"},
		{[]string{"--model", model, empty, "--out", t.TempDir()}, "no images"},
		{[]string{"--model", model, img, "--out", t.TempDir(), "--score", "odin"}, "odin"},
		{[]string{"--model", model, img, "--out", t.TempDir(), "--threshold", "NaN"}, "finite"},
		{[]string{"--model", model, img, "--out", t.TempDir(), "--temperature", "-1"}, "positive"},
		{[]string{"--model", model, img, "--out", t.TempDir(), "--score-res", "half"}, "--score-res"},
	} {
		_, stderr, err := runCmd(context.Background(), newPredictCmd(), tc.args...)
		if err == nil || !strings.Contains(err.Error()+stderr, tc.want) {
			t.Errorf("%v: err %v, stderr %q; want %q", tc.args, err, stderr, tc.want)
		}
	}
}

// The serve command answers on its address and stops cleanly on SIGTERM.
func TestServeCmd(t *testing.T) {
	model := saveCmdBundle(t, ptr32(-0.01))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	type res struct {
		stderr string
		err    error
	}
	done := make(chan res, 1)
	go func() {
		_, stderr, err := runCmd(context.Background(), newServeCmd(), "--model", model, "--addr", addr, "--max-concurrent", "2")
		done <- res{stderr, err}
	}()
	url := "http://" + addr
	var resp *http.Response
	for i := 0; i < 200; i++ {
		if resp, err = http.Get(url + "/healthz"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server did not come up: %v", err)
	}
	var h struct {
		Score         string   `json:"score"`
		Threshold     *float32 `json:"threshold"`
		MaxConcurrent int      `json:"max_concurrent"`
	}
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Score != "js(T=2)" || h.Threshold == nil || *h.Threshold != -0.01 || h.MaxConcurrent != 2 {
		t.Errorf("health %+v", h)
	}
	resp, err = http.Post(url+"/v1/predict?format=png&layer=fused", "image/png", bytes.NewReader(infertest.PNG(infertest.Scene(33, 20, 4, 4, 5))))
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("predict: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Errorf("serve exited with %v\n%s", r.err, r.stderr)
		}
		if !strings.Contains(r.stderr, "shutting down") {
			t.Errorf("log:\n%s", r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func ptr32(v float32) *float32 { return &v }

// --save-logits writes the model's logits (K x H x W at input size) and
// the score map as float32 .npy, equal to what the bundle's model and
// pipeline compute.
func TestPredictCmdSaveLogits(t *testing.T) {
	model := saveCmdBundle(t, nil)
	img := filepath.Join(t.TempDir(), "x.png")
	scene := infertest.Scene(37, 21, 5, 5, 4)
	if err := os.WriteFile(img, infertest.PNG(scene), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, stderr, err := runCmd(context.Background(), newPredictCmd(), "--model", model, img, "--out", out, "--save-logits"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	shape, logits, err := npy.ReadFloat32(filepath.Join(out, "x_logits.npy"))
	if err != nil || !slices.Equal(shape, []int{len(infertest.Classes), 21, 37}) {
		t.Fatalf("logits %v %v", shape, err)
	}
	sshape, score, err := npy.ReadFloat32(filepath.Join(out, "x_score.npy"))
	if err != nil || !slices.Equal(sshape, []int{21, 37}) {
		t.Fatalf("score %v %v", sshape, err)
	}
	p, _, err := infer.Load(model, infer.Overrides{KeepLogits: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Predict(scene)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Logits.Data, logits) || !slices.Equal(r.Scores, score) {
		t.Error("saved arrays differ from the pipeline's")
	}
}
