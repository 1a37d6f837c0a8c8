package metrics

import (
	"fmt"
	"maps"
	"slices"
)

// ScoreCounts holds, for every distinct score, its anomaly and inlier pixel
// counts: the sufficient statistic of the exact metrics. It merges by
// addition, so a dataset scored in shards gives Exact's numbers bit for
// bit. Memory grows with the number of distinct scores (a map entry each);
// Histogram is the constant-memory alternative.
type ScoreCounts struct {
	// Counts maps the order-preserving key of a float32 score (sortKey) to
	// its positive and negative pixel counts.
	Counts map[uint32][2]uint64 `json:"counts"`
}

// NewScoreCounts returns empty counts.
func NewScoreCounts() *ScoreCounts { return &ScoreCounts{Counts: map[uint32][2]uint64{}} }

// Add counts one image's non-void pixels; labels are 0, 1 or ignore.
func (c *ScoreCounts) Add(scores []float32, labels []uint8, ignore uint8) error {
	if len(scores) != len(labels) {
		return fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	for i, l := range labels {
		if l == ignore {
			continue
		}
		s := scores[i]
		if s != s {
			return fmt.Errorf("%w at pixel %d", ErrNaN, i)
		}
		if l > 1 {
			return fmt.Errorf("%w: %d at pixel %d", ErrLabel, l, i)
		}
		k := sortKey(s)
		v := c.Counts[k]
		v[1-l]++ // [0] positives, [1] negatives
		c.Counts[k] = v
	}
	return nil
}

// Merge adds o's counts to c.
func (c *ScoreCounts) Merge(o *ScoreCounts) {
	for k, v := range o.Counts {
		w := c.Counts[k]
		c.Counts[k] = [2]uint64{w[0] + v[0], w[1] + v[1]}
	}
}

// Result computes the exact metrics, identical to Exact on the same pixels.
func (c *ScoreCounts) Result() (Binary, error) {
	var g groupAcc
	for _, v := range c.Counts {
		g.P += v[0]
		g.N += v[1]
	}
	if err := checkTotals(g.P, g.N); err != nil {
		return Binary{}, err
	}
	keys := slices.Sorted(maps.Keys(c.Counts))
	for i := len(keys) - 1; i >= 0; i-- { // highest score first
		v := c.Counts[keys[i]]
		g.add(keys[i], v[0], v[1])
	}
	return g.result(), nil
}

// Accumulator gathers a dataset's pixel statistics frame by frame under a
// protocol and merges exactly with other accumulators of the same
// protocol: the unit a distributed evaluation combines (one per frame on
// the workers, merged into one). Its fields are exported so it serialises
// as JSON.
type Accumulator struct {
	Protocol Protocol     `json:"protocol"`
	Exact    *ScoreCounts `json:"exact,omitempty"` // Pooled, Fishyscapes
	SMIYC    *SMIYCSet    `json:"smiyc,omitempty"` // SMIYC, SMIYCUniform
	Frames   int64        `json:"frames"`
}

// NewAccumulator returns an empty accumulator. PerImage is not offered:
// its mean of per-image metrics needs no merging structure beyond a sum,
// and nothing distributed asks for it yet.
func NewAccumulator(p Protocol) (*Accumulator, error) {
	a := &Accumulator{Protocol: p}
	switch p {
	case Pooled, Fishyscapes:
		a.Exact = NewScoreCounts()
	case SMIYC, SMIYCUniform:
		a.SMIYC = NewSMIYCSet(p)
	default:
		return nil, fmt.Errorf("metrics: no accumulator for the %s protocol", p)
	}
	return a, nil
}

// AddFrame adds one frame at position key of the dataset order.
func (a *Accumulator) AddFrame(key int64, scores []float32, labels []uint8, ignore uint8) error {
	if a.Exact != nil {
		if err := a.Exact.Add(scores, labels, ignore); err != nil {
			return err
		}
	} else {
		fb, err := SMIYCFrame(scores, labels, ignore, a.Protocol)
		if err != nil {
			return err
		}
		if err := a.SMIYC.Add(key, fb); err != nil {
			return err
		}
	}
	a.Frames++
	return nil
}

// Merge adds o (same protocol) to a.
func (a *Accumulator) Merge(o *Accumulator) error {
	if o.Protocol != a.Protocol {
		return fmt.Errorf("%w: merging a %s accumulator into a %s one", ErrShape, o.Protocol, a.Protocol)
	}
	if a.Exact != nil {
		a.Exact.Merge(o.Exact)
	} else if err := a.SMIYC.Merge(o.SMIYC); err != nil {
		return err
	}
	a.Frames += o.Frames
	return nil
}

// Result computes the dataset's metrics.
func (a *Accumulator) Result() (Summary, error) {
	var b Binary
	var err error
	if a.Exact != nil {
		b, err = a.Exact.Result()
	} else {
		b, err = a.SMIYC.Result()
	}
	return Summary{Binary: b, Images: int(a.Frames)}, err
}
