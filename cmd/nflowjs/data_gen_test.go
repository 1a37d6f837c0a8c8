package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
)

func runGen(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetArgs(append([]string{"data", "gen"}, args...))
	rootCmd.SetOut(&out)
	defer rootCmd.SetOut(nil)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestDataGen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "road")
	out, err := runGen(t, "road", "--out", dir, "--seed", "3", "--train", "2", "--val", "1", "--test", "1",
		"--size", "32x64", "--workers", "2", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2 train, 1 val, 1 test images") {
		t.Fatalf("output %q", out)
	}
	m, err := dataset.ReadMeta(dir)
	if err != nil || m.Name != "synth-road" {
		t.Fatalf("meta %+v, %v", m, err)
	}
	for _, p := range []string{"train/images/00001.png", "test/labels/00000.png", "val/depth/00000.png"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range [][]string{
		{"lunar", "--out", dir},
		{"road", "--out", dir, "--size", "32by64"},
		{"road", "--out", ""},
	} {
		if _, err := runGen(t, bad...); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
