// Package datasettest writes small datasets for tests of the packages that
// read them (training, evaluation, the CLI).
package datasettest

import (
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
)

// WriteTinyFolder writes a generic-format dataset with smooth colour
// gradients: train (4 images) and val (2 images, one with an anomaly blob).
func WriteTinyFolder(t testing.TB, dir string) {
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

// WritePNG writes img to path as a PNG, creating path's directory.
func WritePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
