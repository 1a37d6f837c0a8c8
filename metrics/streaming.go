package metrics

import (
	"fmt"
	"math"
)

// Binning selects how a Histogram maps scores to bins.
type Binning int

const (
	// Linear bins split [Lo, Hi] into equal widths; scores outside the
	// range fall into the first or last bin (which only widens the
	// reported bound, never invalidates it).
	Linear Binning = iota
	// KeyBits bins by the top Bits bits of the order-preserving uint32
	// image of the float32 score: no range is needed, and the relative
	// bin width is 2^-(Bits-9) within each power of two.
	KeyBits
)

// Histogram is the streaming engine: per-bin counts of positive and negative
// pixels. It uses constant memory (16 bytes per bin) for any number of
// pixels, and histograms with the same binning merge exactly, so images,
// goroutines or machines can be accumulated separately.
//
// Its metrics are the exact metrics of the scores quantised to their bins
// (all pixels of a bin tied). Result reports, with them, Bounds such that the
// exact metrics of the unquantised scores satisfy |exact − streaming| ≤ bound.
type Histogram struct {
	Binning Binning
	Lo, Hi  float32 // Linear range
	Bits    int     // KeyBits resolution
	Pos     []uint64
	Neg     []uint64
	scale   float64
}

// NewLinearHistogram returns a histogram with bins equal-width bins over
// [lo, hi].
func NewLinearHistogram(lo, hi float32, bins int) (*Histogram, error) {
	if !(hi > lo) || math.IsInf(float64(hi-lo), 0) || bins < 1 {
		return nil, fmt.Errorf("metrics: invalid linear histogram [%v, %v] with %d bins", lo, hi, bins)
	}
	return &Histogram{Binning: Linear, Lo: lo, Hi: hi, Pos: make([]uint64, bins), Neg: make([]uint64, bins),
		scale: float64(bins) / (float64(hi) - float64(lo))}, nil
}

// NewKeyHistogram returns a range-free histogram with 2^bits bins
// (8 <= bits <= 26). bits = 20 (16 MiB) resolves scores to 2^-11 relative.
func NewKeyHistogram(bits int) (*Histogram, error) {
	if bits < 8 || bits > 26 {
		return nil, fmt.Errorf("metrics: key histogram bits %d outside [8, 26]", bits)
	}
	return &Histogram{Binning: KeyBits, Bits: bits, Pos: make([]uint64, 1<<bits), Neg: make([]uint64, 1<<bits)}, nil
}

func (h *Histogram) bin(v float32) int {
	if h.Binning == KeyBits {
		return int(sortKey(v) >> (32 - h.Bits))
	}
	b := int((float64(v) - float64(h.Lo)) * h.scale)
	if float64(v) < float64(h.Lo) || b < 0 {
		return 0
	}
	if b >= len(h.Pos) {
		return len(h.Pos) - 1
	}
	return b
}

// binLow returns the lowest score of bin b (the threshold reported for it).
func (h *Histogram) binLow(b int) float32 {
	if h.Binning == KeyBits {
		return keyFloat(uint32(b) << (32 - h.Bits))
	}
	return float32(float64(h.Lo) + float64(b)/h.scale)
}

// Add accumulates one batch of pixels (an image, say); labels follow the
// package conventions. On error nothing is added.
func (h *Histogram) Add(scores []float32, labels []uint8, ignore uint8) error {
	if len(scores) != len(labels) {
		return fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	for i, v := range scores {
		switch labels[i] {
		case ignore:
		case 0, 1:
			if v != v {
				return fmt.Errorf("%w at index %d", ErrNaN, i)
			}
		default:
			return fmt.Errorf("%w: label %d at index %d (ignore = %d)", ErrLabel, labels[i], i, ignore)
		}
	}
	for i, v := range scores {
		switch labels[i] {
		case ignore:
		case 1:
			h.Pos[h.bin(v)]++
		case 0:
			h.Neg[h.bin(v)]++
		}
	}
	return nil
}

// Merge adds the counts of o, which must have the same binning.
func (h *Histogram) Merge(o *Histogram) error {
	if h.Binning != o.Binning || h.Lo != o.Lo || h.Hi != o.Hi || h.Bits != o.Bits || len(h.Pos) != len(o.Pos) {
		return fmt.Errorf("%w: merging histograms with different binnings", ErrShape)
	}
	for i := range h.Pos {
		h.Pos[i] += o.Pos[i]
		h.Neg[i] += o.Neg[i]
	}
	return nil
}

// Reset clears the counts, keeping the binning.
func (h *Histogram) Reset() {
	clear(h.Pos)
	clear(h.Neg)
}

// Bounds bounds the distance between the streaming and the exact metrics.
// Pixels of one bin may be in any order, and tied or not, in the exact data.
// With p_b, n_b the counts of bin b and TP_b, FP_b those of the bins above it:
//
//	AUROC: only pairs (positive, negative) sharing a bin can be ordered
//	       differently; each moves AUROC by at most 1/(2PN), so
//	       |ΔAUROC| ≤ Σ_b p_b n_b / (2PN).
//	AP:    every positive of bin b gets, exactly and in the histogram, a
//	       precision within [(TP_b+1)/(TP_b+1+FP_b+n_b), (TP_b+p_b)/(TP_b+p_b+FP_b)],
//	       so |ΔAP| ≤ Σ_b (p_b/P) · (that interval's width).
//	FPR95: the exact threshold lies in the bin b* where the TPR crosses
//	       0.95, so |ΔFPR95| ≤ n_{b*}/N.
type Bounds struct {
	AP    float64 `json:"ap"`
	AUROC float64 `json:"auroc"`
	FPR95 float64 `json:"fpr95"`
}

// Result returns the metrics of the quantised scores and the bound on their
// distance to the exact metrics.
func (h *Histogram) Result() (Binary, Bounds, error) {
	var P, N uint64
	for i := range h.Pos {
		P += h.Pos[i]
		N += h.Neg[i]
	}
	if err := checkTotals(P, N); err != nil {
		return Binary{}, Bounds{}, err
	}
	g := groupAcc{P: P, N: N}
	var bAP, bAUC float64
	var bFPR uint64
	for b := len(h.Pos) - 1; b >= 0; b-- {
		dp, dn := h.Pos[b], h.Neg[b]
		if dp+dn == 0 {
			continue
		}
		if dp > 0 {
			hiPrec := float64(g.tp+dp) / float64(g.tp+dp+g.fp)
			loPrec := float64(g.tp+1) / float64(g.tp+1+g.fp+dn)
			bAP += float64(dp) * (hiPrec - loPrec)
		}
		bAUC += float64(dp) * float64(dn)
		found := g.found
		// Bins are visited as groups keyed by their index.
		g.add(uint32(b), dp, dn)
		if g.found && !found {
			bFPR = dn
		}
	}
	res := g.result()
	res.Threshold95 = h.binLow(int(g.keyAt95))
	return res, Bounds{AP: bAP / float64(P), AUROC: bAUC / (2 * float64(P) * float64(N)), FPR95: float64(bFPR) / float64(N)}, nil
}
