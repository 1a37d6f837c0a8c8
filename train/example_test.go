package train_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/train"
)

// The documented closed-set recipe.
func ExampleDefaultClosedConfig() {
	c := train.DefaultClosedConfig("data/road", "runs/seg-road")
	fmt.Println(c.Preset, c.Epochs, c.Batch, c.EncoderLR, c.DecoderLR, c.MinLR)
	fmt.Println(c.MinScale, c.MaxScale, c.Flip, c.Jitter)
	// Output:
	// tiny 80 4 0.001 0.004 1e-07
	// 0.75 1.5 true 0.1
}

// Anomaly (254), unknown (253) and ignore (255) pixels all become the
// ignore index of the cross-entropy.
func ExampleClassLabels() {
	fmt.Println(train.ClassLabels([]uint8{0, 4, 12, 253, 254, 255}, 13, 255))
	// Output: [0 4 12 255 255 255]
}

// Log one row per epoch; a missing value (NaN) is written as null.
func ExampleLogger() {
	dir, _ := os.MkdirTemp("", "log")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, train.LogFile)
	l, _ := train.OpenLog(path, nil)
	l.Write(map[string]any{"epoch": 1, "val_miou": math.NaN()})
	l.Close()
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: {"epoch":1,"val_miou":null}
}
