package metrics

import (
	"fmt"
	"math"
)

// DepthBin is the result of one depth range of FPR95ByDepth.
type DepthBin struct {
	Lo        float32 `json:"lo"` // depth range [Lo, Hi)
	Hi        float32 `json:"hi"`
	FPR95     float64 `json:"fpr95"`
	Pixels    int64   `json:"pixels"`
	Positives int64   `json:"positives"`
	// Err is set (and FPR95 is NaN) when the bin lacks positives or
	// negatives.
	Err error `json:"-"`
}

// FPR95ByDepth evaluates FPR95 separately on the pixels whose depth lies in
// each range [edges[i], edges[i+1]) (paper Table 5: LostAndFound, 5-50 m).
// Pixels with NaN depth or outside all ranges are ignored, as are void
// pixels. edges must be increasing. Each bin is computed exactly.
func FPR95ByDepth(scores []float32, labels []uint8, depth []float32, ignore uint8, edges []float32) ([]DepthBin, error) {
	if len(scores) != len(labels) || len(depth) != len(labels) {
		return nil, fmt.Errorf("%w: %d scores, %d labels, %d depths", ErrShape, len(scores), len(labels), len(depth))
	}
	if len(edges) < 2 {
		return nil, fmt.Errorf("metrics: need at least two depth edges, have %d", len(edges))
	}
	for i := 1; i < len(edges); i++ {
		if !(edges[i] > edges[i-1]) {
			return nil, fmt.Errorf("metrics: depth edges must increase: %v", edges)
		}
	}
	nb := len(edges) - 1
	bl := make([]uint8, len(labels))
	out := make([]DepthBin, nb)
	for b := 0; b < nb; b++ {
		lo, hi := edges[b], edges[b+1]
		for i, d := range depth {
			if d >= lo && d < hi {
				bl[i] = labels[i]
			} else {
				bl[i] = ignore
			}
		}
		r, err := Exact(scores, bl, ignore)
		out[b] = DepthBin{Lo: lo, Hi: hi, FPR95: r.FPR95, Pixels: r.Pixels, Positives: r.Positives}
		if err != nil {
			if !isEmptyClass(err) {
				return nil, err
			}
			p, n := countClasses(bl, ignore)
			out[b] = DepthBin{Lo: lo, Hi: hi, FPR95: math.NaN(), Pixels: p + n, Positives: p,
				Err: fmt.Errorf("depth [%v, %v): %w", lo, hi, err)}
		}
	}
	return out, nil
}
