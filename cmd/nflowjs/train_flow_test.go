package main

import (
	"bufio"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	trainflow "github.com/nflowjs/nflowjs/train/flow"
)

// The sample command draws a grid from a flow run directory.
func TestSampleCommand(t *testing.T) {
	data := t.TempDir()
	writeTinyFolderDataset(t, data)
	out := filepath.Join(t.TempDir(), "run")
	fc := trainflow.DefaultConfig(data, out)
	fc.Crop, fc.Batch, fc.Steps, fc.EpochSteps, fc.ValCrops = 16, 2, 1, 1, 0
	if err := trainflow.Run(context.Background(), fc, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	grid := filepath.Join(t.TempDir(), "grid.png")
	rootCmd.SetArgs([]string{"sample", "--model", out, "--size", "16x24", "--n", "5", "--out", grid})
	rootCmd.SetOut(io.Discard)
	if err := rootCmd.Execute(); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	cfg, err := png.DecodeConfig(fh)
	if err != nil {
		t.Fatal(err)
	}
	// 5 samples → 3 columns × 2 rows with 2-pixel gutters.
	if cfg.Width != 3*24+2*2 || cfg.Height != 2*16+2 {
		t.Errorf("grid is %dx%d", cfg.Width, cfg.Height)
	}
	rootCmd.SetArgs([]string{"sample", "--model", out, "--size", "12x24", "--out", grid})
	if err := rootCmd.Execute(); err == nil {
		t.Error("sampling 12x24 with squeeze factor 8 succeeded")
	}
}

func TestParseSize(t *testing.T) {
	if h, w, err := parseSize("--size", "64x96", false); err != nil || h != 64 || w != 96 {
		t.Errorf("64x96 → %d, %d, %v", h, w, err)
	}
	for _, bad := range []string{"", "64", "0x8", "ax9", "8x-8"} {
		if _, _, err := parseSize("--size", bad, false); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// writeTinyFolderDataset writes a generic-format dataset with smooth colour
// gradients: train (4 images) and val (2 images, one with an anomaly blob).
func writeTinyFolderDataset(t *testing.T, dir string) {
	t.Helper()
	meta := &dataset.Meta{Name: "tiny", Classes: []string{"a", "b"}, IgnoreLabel: 255, AnomalyLabel: 254}
	if err := dataset.WriteMeta(dir, meta); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const h, w = 32, 48
	for split, n := range map[string]int{"train": 4, "val": 2} {
		for _, sub := range []string{"images", "labels"} {
			if err := os.MkdirAll(filepath.Join(dir, split, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < n; i++ {
			img := image.NewRGBA(image.Rect(0, 0, w, h))
			lab := image.NewGray(image.Rect(0, 0, w, h))
			a, b := rng.Float64()*3, rng.Float64()*3
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := uint8(40 + a*float64(y) + b*float64(x))
					img.Set(x, y, color.RGBA{v, v / 2, 255 - v, 255})
					l := uint8(y * 2 / h)
					if split == "val" && i == 1 && x < 20 && y < 20 {
						l = 254
					}
					lab.SetGray(x, y, color.Gray{l})
				}
			}
			for sub, im := range map[string]image.Image{"images": img, "labels": lab} {
				fh, err := os.Create(filepath.Join(dir, split, sub, string(rune('a'+i))+".png"))
				if err != nil {
					t.Fatal(err)
				}
				if err := png.Encode(fh, im); err != nil {
					t.Fatal(err)
				}
				fh.Close()
			}
		}
	}
}

func readLogRows(t *testing.T, path string) []map[string]any {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var rows []map[string]any
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}
