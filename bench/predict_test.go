package bench

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/models/seg"
)

// The predict bench workload runs end to end (at a small size here).
func TestBenchPredictSmall(t *testing.T) {
	res, err := benchPredict([]string{"tiny"}, 64, 96, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tiny_forward_ms", "tiny_argmax_ms", "tiny_score_ms", "tiny_fuse_ms", "tiny_score_fuse_ms", "tiny_summary_ms", "tiny_overhead_pct", "tiny_cpu_overhead_pct",
		"tiny_native_forward_ms", "tiny_native_score_ms", "tiny_native_fuse_ms", "tiny_native_score_fuse_ms",
		"tiny_native_overhead_pct", "tiny_native_cpu_overhead_pct"} {
		if v, ok := res[k].(float64); !ok || v < 0 {
			t.Errorf("%s = %v", k, res[k])
		}
	}
	if _, ok := workloads["predict"]; !ok {
		t.Error("predict workload not registered")
	}
}

// The forward workload times any bundle's forward pass.
func TestForward(t *testing.T) {
	cfg, err := seg.PresetConfig("tiny", 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := seg.SaveBundle(dir, m, seg.NewInfo(m, []string{"a", "b", "c"}, "js", "closed")); err != nil {
		t.Fatal(err)
	}
	res, err := Forward(dir, 2, 32, 64, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := res["forward_ms"].(float64); !ok || !(v > 0) || res["params"] != m.NumParams() {
		t.Errorf("result %v", res)
	}
	if _, err := Forward(dir, 0, 32, 64, 0, 1); err == nil {
		t.Error("batch 0 accepted")
	}
	if _, err := Forward(t.TempDir(), 1, 32, 64, 0, 1); err == nil {
		t.Error("a directory without a bundle accepted")
	}
}
