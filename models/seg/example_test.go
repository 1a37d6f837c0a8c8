package seg_test

import (
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/tensor"
)

// Build the tiny preset and run it on an image whose size is not a
// multiple of the stride: the logits come back at the input size.
func ExampleNew() {
	cfg, err := seg.PresetConfig("tiny", 13)
	if err != nil {
		panic(err)
	}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	logits, err := m.Logits(tensor.New(1, 3, 100, 150))
	if err != nil {
		panic(err)
	}
	fmt.Println("parameters:", m.NumParams())
	fmt.Println("stride:", cfg.Stride())
	fmt.Println("logits:", logits.Shape)
	// Output:
	// parameters: 155647
	// stride: 32
	// logits: [1 13 100 150]
}

// Save a model as a bundle directory and load it back.
func ExampleLoadBundle() {
	cfg, _ := seg.PresetConfig("tiny", 2)
	m, _ := seg.New(cfg, rand.New(rand.NewPCG(1, 2)))
	dir, _ := os.MkdirTemp("", "bundle")
	defer os.RemoveAll(dir)

	info := seg.NewInfo(m, []string{"road", "sky"}, "msp", "closed")
	if err := seg.SaveBundle(dir, m, info); err != nil {
		panic(err)
	}
	b, err := seg.LoadBundle(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(b.Info.Classes, b.Info.Score, b.Info.Temperature, b.Info.Threshold == nil)
	// Output:
	// [road sky] msp 2 true
}
