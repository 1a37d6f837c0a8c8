package bench

import "testing"

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
