package evaluate

import (
	"math"

	"github.com/nflowjs/nflowjs/ood"
)

// UnitRange is the [lo, hi] a score is mapped from onto [0, 1] for the
// SMIYC protocols, which bin float16 scores in [0, 1] (the range of the
// anomaly probabilities their leaderboard expects): the score's natural
// bounds for k classes (ood.ScoreSpec.Bounds: −JS in [−JSmax, 0], −MSP in
// [−1, −1/K], ...), else the minimum and maximum of the scores at hand —
// label-free, and monotone, so exact metrics would not change.
func UnitRange(spec ood.ScoreSpec, k int, scores []float32) (lo, hi float32) {
	if lo, hi, ok := spec.Bounds(k); ok {
		return lo, hi
	}
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range scores {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	if !(lo < hi) { // empty or constant: any map onto [0, 1] will do
		return lo, lo + 1
	}
	return lo, hi
}

// ToUnit maps scores in place onto [0, 1] by (s − lo)/(hi − lo), clamping
// the last-ulp overshoots of scores at their bounds, and returns them.
// NaN stays NaN (the metrics reject it by name).
func ToUnit(scores []float32, lo, hi float32) []float32 {
	span := float64(hi) - float64(lo)
	for i, v := range scores {
		u := (float64(v) - float64(lo)) / span
		switch {
		case u < 0:
			u = 0
		case u > 1:
			u = 1
		}
		scores[i] = float32(u)
	}
	return scores
}
