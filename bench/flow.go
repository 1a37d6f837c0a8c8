package bench

import (
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/tensor"
)

// flow times the normalizing flow (preset denseflow-tiny, actnorm
// initialised on random data): sampling 8 images of 64×64 without a graph,
// and the log-likelihood of a batch of 32 crops of 32×32, median of 5 runs
// after 1 warm-up. There is no torch counterpart in torch_reference.py.
func init() {
	register("flow", func() (map[string]any, error) {
		cfg, err := flow.Preset("denseflow-tiny")
		if err != nil {
			return nil, err
		}
		f, err := flow.New(cfg, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewPCG(2, 2))
		x := tensor.New(32, 3, 32, 32)
		for i := range x.Data {
			x.Data[i] = float32(rng.Float64() - 0.5)
		}
		defer autograd.NoGrad()()
		var runErr error
		lpMS := MedianMS(func() {
			if _, err := f.LogProb(autograd.Const(x), rng); err != nil {
				runErr = err
			}
		}, 1, 5)
		const n = 8
		sMS := MedianMS(func() {
			if _, err := f.Sample(n, 64, 64, 0.8, rng); err != nil {
				runErr = err
			}
		}, 1, 5)
		if runErr != nil {
			return nil, runErr
		}
		return map[string]any{
			"params":               f.NumParams(),
			"sample64_ms":          sMS,
			"samples_per_s":        n / sMS * 1000,
			"logprob32_ms":         lpMS,
			"logprob_images_per_s": 32 / lpMS * 1000,
		}, nil
	})
}
