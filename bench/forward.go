package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/seg"
	"github.com/nflowjs/nflowjs/tensor"
)

// Forward times the forward pass of a model bundle (own or imported) on a
// random batch×3×h×w input in evaluation mode: forward_ms is the median of
// iters timed passes after warmup, with ms_per_mpixel and the shape.
func Forward(dir string, batch, h, w, warmup, iters int) (map[string]any, error) {
	if batch <= 0 || h <= 0 || w <= 0 || iters <= 0 || warmup < 0 {
		return nil, fmt.Errorf("bench: forward: batch, size and iterations must be positive")
	}
	b, err := seg.LoadBundle(dir)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(0, 0))
	x := tensor.New(batch, 3, h, w)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	defer autograd.NoGrad()()
	var runErr error
	ms := MedianMS(func() {
		if _, err := b.Model.Logits(x); err != nil {
			runErr = err
		}
	}, warmup, iters)
	if runErr != nil {
		return nil, fmt.Errorf("bench: forward %s: %w", dir, runErr)
	}
	mpix := float64(batch*h*w) / (1 << 20)
	return map[string]any{"model": dir, "batch": batch, "height": h, "width": w, "params": b.Model.NumParams(),
		"forward_ms": ms, "ms_per_mpixel": ms / mpix}, nil
}
