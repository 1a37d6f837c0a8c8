package main

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/dataset/datasettest"
)

// makeCmdDataset writes a 2-class dataset: train (1 image) and test (3
// images, each with a 2×2 anomaly).
func makeCmdDataset(t *testing.T) string {
	dir := t.TempDir()
	if err := dataset.WriteMeta(dir, &dataset.Meta{Name: "cmdtest", Classes: []string{"road", "car"},
		IgnoreLabel: 255, AnomalyLabel: 254}); err != nil {
		t.Fatal(err)
	}
	for i, split := range []string{"train", "test", "test", "test"} {
		id := string(rune('a' + i))
		datasettest.WritePNG(t, filepath.Join(dir, split, "images", id+".png"), image.NewRGBA(image.Rect(0, 0, 16, 8)))
		lab := image.NewGray(image.Rect(0, 0, 16, 8))
		for j := range lab.Pix {
			lab.Pix[j] = uint8(j % 2)
		}
		if split == "test" {
			for _, j := range []int{0, 1, 16, 17} {
				lab.Pix[j] = 254
			}
		}
		datasettest.WritePNG(t, filepath.Join(dir, split, "labels", id+".png"), lab)
	}
	return dir
}

func runData(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetArgs(args)
	rootCmd.SetOut(&out)
	defer rootCmd.SetOut(nil)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestDataCheck(t *testing.T) {
	dir := makeCmdDataset(t)
	out, err := runData(t, "data", "check", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"[train] 1 images, 1 valid", "[test] 3 images, 3 valid", "sizes WxH: 16x8 (3)",
		"anomaly fraction of non-ignored pixels: 0.03125", " 0 road ", "OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Break a label: the command fails and names the file.
	bad := filepath.Join(dir, "test", "labels", "c.png")
	datasettest.WritePNG(t, bad, image.NewGray(image.Rect(0, 0, 4, 4)))
	out, err = runData(t, "data", "check", dir, "--split", "test")
	if err == nil || !strings.Contains(out, bad) || !strings.Contains(out, "size mismatch") {
		t.Fatalf("err %v, output:\n%s", err, out)
	}
	if strings.Contains(out, "[train]") {
		t.Error("--split test also checked train")
	}
}

func TestDataShow(t *testing.T) {
	dir := makeCmdDataset(t)
	grid := filepath.Join(t.TempDir(), "g", "grid.png")
	if _, err := runData(t, "data", "show", dir, "--split", "test", "--n", "2", "--width", "32", "--out", grid); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	// Two rows of three 32×16 panels, 4-pixel gutters.
	if cfg.Width != 3*32+2*4 || cfg.Height != 2*16+4 {
		t.Fatalf("grid %dx%d", cfg.Width, cfg.Height)
	}
	if _, err := runData(t, "data", "show", dir, "--split", "val", "--out", grid); err == nil {
		t.Fatal("missing split accepted")
	}
}
