package evaluate

import (
	"math"
	"sort"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/ood"
)

// Explanation says where a score's FPR95 comes from: at the threshold that
// reaches 95% TPR (the lowest score still counted anomalous), which inlier
// pixels rise above it — on label boundaries or inside regions, and of
// which ground-truth classes — and which anomaly pixels it misses (the
// hardest 5%, which set the threshold): on boundaries or inside, and what
// the model calls them. It answers "why is FPR95 high?" without a viewer:
// on fashion-ood's far split, for example, the missed anomaly pixels are
// mostly the interiors of large photo blobs called background or a
// garment, not the blob edges.
type Explanation struct {
	// Threshold is the 95%-TPR threshold (score >= Threshold is anomalous).
	Threshold float32 `json:"threshold"`
	// EdgeRadius is the distance in pixels (Chebyshev) to a different
	// label within which a pixel counts as a boundary pixel.
	EdgeRadius int `json:"edge_radius"`
	// InlierEdgeShare is the share of inlier pixels on boundaries;
	// FPEdgeShare the share of the false positives there, and FPREdge and
	// FPRInterior the false-positive rates on and off boundaries.
	InlierEdgeShare float64 `json:"inlier_edge_share"`
	FPEdgeShare     float64 `json:"fp_edge_share"`
	FPREdge         float64 `json:"fpr_edge"`
	FPRInterior     float64 `json:"fpr_interior"`
	// FPByClass lists, by ground-truth class, the false-positive rate and
	// the share of all false positives, largest share first.
	FPByClass []ClassShare `json:"fp_by_class"`
	// MissedEdgeShare is the share of the missed anomaly pixels (score
	// below Threshold) on boundaries; MissedAs lists the classes the
	// model predicts for them, largest share first.
	MissedEdgeShare float64      `json:"missed_edge_share"`
	MissedAs        []ClassShare `json:"missed_as"`
}

// ClassShare is one class's part of a set of pixels.
type ClassShare struct {
	Class string `json:"class"`
	// Share of the set (false positives, or missed anomaly pixels).
	Share float64 `json:"share"`
	// Rate is, for false positives, the class's false-positive rate.
	Rate float64 `json:"rate,omitempty"`
}

// explainRadius is Explanation.EdgeRadius: two pixels, the reach of a
// 1/2-resolution logit's bilinear upsampling on either side of an edge.
const explainRadius = 2

// pixelFacts holds, per evaluated pixel, what Explain needs beyond the
// score and the OOD label: the ground-truth class (0..K−1, or voidLabel
// for anomaly and void pixels), the predicted class and a boundary flag.
type pixelFacts struct {
	gt, pred []uint8
	edge     []bool
}

// add appends one batch: gt in the closed-set encoding, pred the argmax,
// raw the dataset labels from which boundaries are found, image by image.
func (f *pixelFacts) add(gt, pred, raw []uint8, n, h, w int) {
	f.gt = append(f.gt, gt...)
	f.pred = append(f.pred, pred...)
	for i := range n {
		f.edge = append(f.edge, edges(raw[i*h*w:(i+1)*h*w], h, w, explainRadius)...)
	}
}

// edges marks the pixels of an h×w label map that have a different label
// within r pixels (Chebyshev distance).
func edges(lab []uint8, h, w, r int) []bool {
	out := make([]bool, h*w)
	for y := range h {
		for x := range w {
			v := lab[y*w+x]
		window:
			for dy := max(0, y-r); dy <= min(h-1, y+r); dy++ {
				for _, u := range lab[dy*w+max(0, x-r) : dy*w+min(w-1, x+r)+1] {
					if u != v {
						out[y*w+x] = true
						break window
					}
				}
			}
		}
	}
	return out
}

// explain computes the Explanation of one score map (scores, OOD labels
// 1/0/voidLabel) with the pixel facts of the same pixels.
func explain(scores []float32, labels []uint8, f *pixelFacts, meta *dataset.Meta) *Explanation {
	delta, err := ood.CalibrateThreshold(scores, labels, voidLabel, 0.95)
	if err != nil {
		return nil // no anomaly pixels (or unusable scores): nothing to explain
	}
	// The lowest anomaly score kept at 95% TPR: δ is the float32 just
	// below it, so score > δ ⟺ score ≥ thr.
	thr := math.Nextafter32(delta, float32(math.Inf(1)))

	k := len(meta.Classes)
	var inl, inlEdge, fp, fpEdge, missed, missedEdge int
	fpClass, inlClass, missedAs := make([]int, k), make([]int, k), make([]int, k)
	for i, l := range labels {
		switch l {
		case 0:
			inl++
			c := f.gt[i]
			if int(c) < k {
				inlClass[c]++
			}
			if f.edge[i] {
				inlEdge++
			}
			if scores[i] >= thr {
				fp++
				if int(c) < k {
					fpClass[c]++
				}
				if f.edge[i] {
					fpEdge++
				}
			}
		case 1:
			if scores[i] < thr {
				missed++
				if f.edge[i] {
					missedEdge++
				}
				if p := f.pred[i]; int(p) < k {
					missedAs[p]++
				}
			}
		}
	}
	e := &Explanation{Threshold: thr, EdgeRadius: explainRadius,
		InlierEdgeShare: ratio(inlEdge, inl), FPEdgeShare: ratio(fpEdge, fp),
		FPREdge: ratio(fpEdge, inlEdge), FPRInterior: ratio(fp-fpEdge, inl-inlEdge),
		MissedEdgeShare: ratio(missedEdge, missed)}
	for c := range k {
		if fpClass[c] > 0 {
			e.FPByClass = append(e.FPByClass, ClassShare{Class: meta.Classes[c], Share: ratio(fpClass[c], fp), Rate: ratio(fpClass[c], inlClass[c])})
		}
		if missedAs[c] > 0 {
			e.MissedAs = append(e.MissedAs, ClassShare{Class: meta.Classes[c], Share: ratio(missedAs[c], missed)})
		}
	}
	bySize := func(s []ClassShare) {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Share > s[j].Share })
	}
	bySize(e.FPByClass)
	bySize(e.MissedAs)
	return e
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
