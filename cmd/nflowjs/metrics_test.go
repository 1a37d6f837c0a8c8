package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/npy"
)

func writeNPY(t *testing.T, path string, write func(io.Writer) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// metrics on good arrays prints the metrics; on a malformed header it
// names the file and the problem (it printed a raw runtime error before).
func TestMetricsCommand(t *testing.T) {
	dir := t.TempDir()
	scores, labels := filepath.Join(dir, "s.npy"), filepath.Join(dir, "l.npy")
	writeNPY(t, scores, func(w io.Writer) error {
		return npy.WriteFloat32(w, []int{1, 2, 2}, []float32{0.9, 0.1, 0.2, 0.8})
	})
	writeNPY(t, labels, func(w io.Writer) error { return npy.WriteUint8(w, []int{1, 2, 2}, []uint8{1, 0, 0, 1}) })
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetArgs([]string{"metrics", "--scores", scores, "--labels", labels})
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["ap"] != 1.0 {
		t.Errorf("metrics output %s (%v)", out.String(), err)
	}
	good, _ := os.ReadFile(scores)
	bad := filepath.Join(dir, "bad.npy")
	os.WriteFile(bad, []byte(strings.Replace(string(good), "'shape': (1, 2, 2)", "'shape': (1, 2, 2", 1)), 0o644)
	rootCmd.SetArgs([]string{"metrics", "--scores", bad, "--labels", labels})
	err := rootCmd.Execute()
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "malformed header") || strings.Contains(err.Error(), "runtime error") {
		t.Errorf("malformed header: %v", err)
	}
}

// metrics --protocol smiyc on an SMIYC frame (float16 scores, as the
// official tool stores them) prints the official tool's AP for it.
func TestMetricsCommandSMIYC(t *testing.T) {
	const frames = "../../metrics/testdata/smiyc/frames/"
	t.Cleanup(func() { // flag values outlive Execute; later tests expect the default
		if c, _, err := rootCmd.Find([]string{"metrics"}); err == nil {
			_ = c.Flags().Set("protocol", "exact")
		}
	})
	want := map[string]float64{"smiyc": 0.6883362500508392, "smiyc-uniform": 0.6885579618255322} // expected.json, case "single"
	for proto, ap := range want {
		var out bytes.Buffer
		rootCmd.SetOut(&out)
		rootCmd.SetArgs([]string{"metrics", "--scores", frames + "000_score.npy", "--labels", frames + "000_label.npy", "--protocol", proto})
		if err := rootCmd.Execute(); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil || m["protocol"] != proto {
			t.Fatalf("output %s (%v)", out.String(), err)
		}
		if got := m["ap"].(float64); got-ap > 1e-9 || ap-got > 1e-9 {
			t.Errorf("%s: AP %v, official %v", proto, got, ap)
		}
	}
	rootCmd.SetArgs([]string{"metrics", "--scores", frames + "000_score.npy", "--labels", frames + "000_label.npy", "--protocol", "smiyc-exact"})
	if err := rootCmd.Execute(); err == nil || !strings.Contains(err.Error(), "smiyc-uniform") {
		t.Errorf("unknown protocol: %v", err)
	}
}
