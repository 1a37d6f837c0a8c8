package synth_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/dataset/synth"
)

// Render one test scene of the road benchmark in memory.
func ExampleRender() {
	s, err := synth.Render("road", 42, "test", 0, 64, 128)
	if err != nil {
		panic(err)
	}
	anomalous := 0
	for _, l := range s.Label.Pix {
		if l == synth.AnomalyLabel {
			anomalous++
		}
	}
	fmt.Println(s.Image.Rect.Dx(), s.Image.Rect.Dy(), s.Depth != nil, anomalous > 0)
	// Output: 128 64 true true
}

// Generate a small aerial dataset on disk, as `nflowjs data gen aerial` does.
func ExampleGenerate() {
	dir, _ := os.MkdirTemp("", "aerial")
	defer os.RemoveAll(dir)
	cfg, _ := synth.Defaults("aerial")
	cfg.Out, cfg.Train, cfg.Val, cfg.Test = dir, 2, 1, 1
	if err := synth.Generate(context.Background(), cfg); err != nil {
		panic(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.png"))
	fmt.Println(len(files), "PNG files")
	cats, _ := synth.AnomalyCategories("aerial", "test")
	fmt.Println("test anomalies:", cats)
	// Output:
	// 8 PNG files
	// test anomalies: [boat harbour]
}
