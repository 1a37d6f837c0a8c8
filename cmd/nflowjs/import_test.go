package main

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/nn"
)

// A torchvision-named checkpoint imports into a bundle that eval uses
// unchanged; a checkpoint for another class count is refused naming the
// mis-shaped tensors; a pickle that is not a state dict of this
// architecture is refused naming what is missing.
func TestImportTorchCommand(t *testing.T) {
	data, _ := evalFixture(t)
	dir := t.TempDir()
	src, err := seg.New(seg.Config{Arch: "fcn_resnet50", NumClasses: 13}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "fcn.safetensors")
	if err := checkpoint.Save(weights, nn.StateDict(src), nil); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	out, err := runEvalCmd(t, rootCmd, "import", "torch", "--arch", "fcn_resnet50", "--weights", weights, "--classes", "13", "--out", run)
	if err != nil || !strings.Contains(out, "tensors loaded") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err = runEvalCmd(t, rootCmd, "eval", "--model", run, "--data", data, "--split", "test", "--calib-split", "none", "--scores", "msp,js", "--quiet")
	if err != nil || !strings.Contains(out, "js") {
		t.Fatalf("eval of the imported bundle: %v\n%s", err, out)
	}
	_, err = runEvalCmd(t, rootCmd, "import", "torch", "--arch", "fcn_resnet50", "--weights", weights, "--classes", "21", "--out", filepath.Join(dir, "r21"))
	if err == nil || !strings.Contains(err.Error(), "2 mis-shaped: classifier.4.bias") {
		t.Errorf("wrong class count: %v", err)
	}
	_, err = runEvalCmd(t, rootCmd, "import", "torch", "--arch", "fcn_resnet50", "--weights", "../../checkpoint/pth/testdata/wrapped.pt", "--classes", "13", "--out", filepath.Join(dir, "rw"))
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "unexpected: bn.running_mean, conv.bias, conv.weight") {
		t.Errorf("foreign state dict: %v", err)
	}
	_, err = runEvalCmd(t, rootCmd, "import", "torch", "--arch", "fcn_resnet50", "--weights", "../../checkpoint/pth/testdata/evil.pt", "--classes", "13", "--out", filepath.Join(dir, "re"))
	if err == nil || !strings.Contains(err.Error(), "posix.system") && !strings.Contains(err.Error(), "os.system") {
		t.Errorf("malicious pickle: %v", err)
	}
}

// export onnx writes a file from an imported bundle; a bad size is an
// error naming the flag.
func TestExportONNXCommand(t *testing.T) {
	dir := t.TempDir()
	src, err := seg.New(seg.Config{Arch: "lraspp_mobilenet_v3_large", NumClasses: 3}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "run")
	if err := seg.SaveBundle(run, src, seg.NewInfo(src, []string{"a", "b", "c"}, "js", "imported")); err != nil {
		t.Fatal(err)
	}
	out, err := runEvalCmd(t, rootCmd, "export", "onnx", "--model", run, "--out", filepath.Join(dir, "m.onnx"), "--size", "64x128")
	if err != nil || !strings.Contains(out, "outputs logits and score") {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if _, err := runEvalCmd(t, rootCmd, "export", "onnx", "--model", run, "--out", filepath.Join(dir, "m2.onnx"), "--size", "64"); err == nil || !strings.Contains(err.Error(), "--size") {
		t.Errorf("bad size: %v", err)
	}
}
