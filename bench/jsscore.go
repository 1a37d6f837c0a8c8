package bench

import (
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/ood"
)

// js-score: logits 1 x 19 x 1024 x 2048 ~ N(0, 3²) -> per-pixel
// JS(U, softmax(l/2)) in nats, as torch_reference.py's js_score.
func init() {
	register("js-score", func() (map[string]any, error) {
		const k, h, w = 19, 1024, 2048
		r := rand.New(rand.NewPCG(0, 0))
		logits := make([]float32, k*h*w)
		for i := range logits {
			logits[i] = float32(r.NormFloat64() * 3)
		}
		dst := make([]float32, h*w)
		var err error
		ms := MedianMS(func() {
			err = ood.JSDivergenceInto(dst, logits, 1, k, h*w, 2, 1)
		}, 1, 5)
		if err != nil {
			return nil, err
		}
		return map[string]any{"ms": ms, "mpix_per_s": h * w / ms / 1000}, nil
	})
}
