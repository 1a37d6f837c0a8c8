package onnx

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/models/seg"
)

// Export writes a model with the two outputs and the bundle's threshold in
// its metadata; scores it cannot express and sizes an LDN's pyramid
// pooling cannot bin evenly are errors, not silently wrong graphs.
// (The numerical check against ONNX Runtime is ort_test.go, build tag ort.)
func TestExport(t *testing.T) {
	cfg, _ := seg.PresetConfig("tiny", 3)
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	info := seg.NewInfo(m, []string{"a", "b", "c"}, "js", "test")
	thr := float32(-0.25)
	info.Threshold = &thr
	b := &seg.Bundle{Model: m, Info: info}
	raw, err := Export(b, Options{H: 64, W: 128})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"image", "logits", "score", "threshold", "-0.25", "Conv", "BatchNormalization", "Resize", "Softmax", "ReduceSum"} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("exported model lacks %q", s)
		}
	}
	if _, err := Export(b, Options{H: 64, W: 128, Score: "energy"}); err == nil || !strings.Contains(err.Error(), "not exportable") {
		t.Errorf("energy: %v", err)
	}
	if _, err := Export(b, Options{H: 64, W: 160}); err == nil || !strings.Contains(err.Error(), "unequal bins") {
		t.Errorf("uneven pooling: %v", err)
	}
	if _, err := Export(b, Options{}); err == nil {
		t.Error("zero size accepted")
	}
}
