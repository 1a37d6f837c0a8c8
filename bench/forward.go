package bench

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/tensor"
)

// PresetClasses is the class count of a "preset:NAME" model (Cityscapes').
const PresetClasses = 19

// Forward times the forward pass of a model bundle (own or imported) on a
// random batch×3×h×w input in evaluation mode: forward_ms is the median of
// iters timed passes after warmup, with ms_per_mpixel and the shape. dir
// "preset:NAME" times a freshly initialised preset (PresetClasses classes)
// instead of a bundle.
func Forward(dir string, batch, h, w, warmup, iters int) (map[string]any, error) {
	if batch <= 0 || h <= 0 || w <= 0 || iters <= 0 || warmup < 0 {
		return nil, fmt.Errorf("bench: forward: batch, size and iterations must be positive")
	}
	var model *seg.Model
	if name, ok := strings.CutPrefix(dir, "preset:"); ok {
		cfg, err := seg.PresetConfig(name, PresetClasses)
		if err != nil {
			return nil, err
		}
		if model, err = seg.New(cfg, rand.New(rand.NewPCG(0, 0))); err != nil {
			return nil, err
		}
	} else {
		b, err := seg.LoadBundle(dir)
		if err != nil {
			return nil, err
		}
		model = b.Model
	}
	rng := rand.New(rand.NewPCG(0, 0))
	x := tensor.New(batch, 3, h, w)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	defer autograd.NoGrad()()
	var runErr error
	ms := MedianMS(func() {
		if _, err := model.Logits(x); err != nil {
			runErr = err
		}
	}, warmup, iters)
	if runErr != nil {
		return nil, fmt.Errorf("bench: forward %s: %w", dir, runErr)
	}
	mpix := float64(batch*h*w) / (1 << 20)
	return map[string]any{"model": dir, "batch": batch, "height": h, "width": w, "params": model.NumParams(),
		"forward_ms": ms, "ms_per_mpixel": ms / mpix}, nil
}
