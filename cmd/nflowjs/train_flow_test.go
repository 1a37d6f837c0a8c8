package main

import (
	"context"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/dataset/datasettest"
	trainflow "github.com/nflowjs/nflowjs/train/flow"
)

// The sample command draws a grid from a flow run directory.
func TestSampleCommand(t *testing.T) {
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
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
