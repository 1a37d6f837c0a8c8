package metrics

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// ScoreCounts holds, for every distinct score, its anomaly and inlier pixel
// counts: the sufficient statistic of the exact metrics. It merges by
// addition, so a dataset scored in shards gives Exact's numbers bit for
// bit. Memory grows with the number of distinct scores (20 bytes each);
// Histogram is the constant-memory alternative.
//
// The counts are kept as sorted runs, merged pairwise when a run is not
// much smaller than the one before it (as a log-structured merge tree
// does): adding a frame costs a sort of its pixels and amortised
// sequential merges, never a hash-map lookup per pixel.
type ScoreCounts struct {
	runs []countRun
	// seen counts every pixel added, void included: Exact sums AP's terms
	// in an order that depends on its input's length (one run below
	// smallExactMax, else per 16-bit bucket), and Result follows it.
	seen int64
}

// countRun is a run of distinct order-preserving score keys (sortKey),
// increasing, with their positive and negative counts.
type countRun struct {
	keys     []uint32
	pos, neg []uint64
}

// NewScoreCounts returns empty counts.
func NewScoreCounts() *ScoreCounts { return &ScoreCounts{} }

// Len returns the number of distinct scores counted so far.
func (c *ScoreCounts) Len() int {
	c.compact(true)
	if len(c.runs) == 0 {
		return 0
	}
	return len(c.runs[0].keys)
}

// Add counts one image's non-void pixels; labels are 0, 1 or ignore.
func (c *ScoreCounts) Add(scores []float32, labels []uint8, ignore uint8) error {
	if len(scores) != len(labels) {
		return fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	// key<<1 | negative, sorted, is the run in one pass.
	tagged := make([]uint64, 0, len(scores))
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
		tagged = append(tagged, uint64(sortKey(s))<<1|uint64(1-l))
	}
	slices.Sort(tagged)
	var r countRun
	for _, t := range tagged {
		k := uint32(t >> 1)
		if n := len(r.keys); n == 0 || r.keys[n-1] != k {
			r.keys = append(r.keys, k)
			r.pos = append(r.pos, 0)
			r.neg = append(r.neg, 0)
		}
		if t&1 == 0 {
			r.pos[len(r.pos)-1]++
		} else {
			r.neg[len(r.neg)-1]++
		}
	}
	c.seen += int64(len(labels))
	c.push(r)
	return nil
}

// Merge adds o's counts to c.
func (c *ScoreCounts) Merge(o *ScoreCounts) {
	for _, r := range o.runs {
		c.push(r)
	}
	c.seen += o.seen
}

func (c *ScoreCounts) push(r countRun) {
	if len(r.keys) == 0 {
		return
	}
	c.runs = append(c.runs, r)
	c.compact(false)
}

// compact merges the last two runs while the newer is at least half the
// older's length (all runs when full is set).
func (c *ScoreCounts) compact(full bool) {
	for n := len(c.runs); n >= 2; n = len(c.runs) {
		a, b := c.runs[n-2], c.runs[n-1]
		if !full && 2*len(b.keys) < len(a.keys) {
			return
		}
		c.runs = append(c.runs[:n-2], mergeRuns(a, b))
	}
}

func mergeRuns(a, b countRun) countRun {
	n := len(a.keys) + len(b.keys)
	r := countRun{keys: make([]uint32, 0, n), pos: make([]uint64, 0, n), neg: make([]uint64, 0, n)}
	i, j := 0, 0
	for i < len(a.keys) || j < len(b.keys) {
		switch {
		case j == len(b.keys) || (i < len(a.keys) && a.keys[i] < b.keys[j]):
			r.keys, r.pos, r.neg = append(r.keys, a.keys[i]), append(r.pos, a.pos[i]), append(r.neg, a.neg[i])
			i++
		case i == len(a.keys) || b.keys[j] < a.keys[i]:
			r.keys, r.pos, r.neg = append(r.keys, b.keys[j]), append(r.pos, b.pos[j]), append(r.neg, b.neg[j])
			j++
		default: // equal keys
			r.keys, r.pos, r.neg = append(r.keys, a.keys[i]), append(r.pos, a.pos[i]+b.pos[j]), append(r.neg, a.neg[i]+b.neg[j])
			i++
			j++
		}
	}
	return r
}

// Result computes the exact metrics, identical to Exact on the same pixels.
func (c *ScoreCounts) Result() (Binary, error) {
	c.compact(true)
	var r countRun
	if len(c.runs) == 1 {
		r = c.runs[0]
	}
	var g groupAcc
	for i := range r.keys {
		g.P += r.pos[i]
		g.N += r.neg[i]
	}
	if err := checkTotals(g.P, g.N); err != nil {
		return Binary{}, err
	}
	keys := r.keys
	if c.seen <= int64(smallExactMax) {
		for i := len(keys) - 1; i >= 0; i-- { // highest score first
			g.add(keys[i], r.pos[i], r.neg[i])
		}
		return g.result(), nil
	}
	// Exact's bucketed order: AP's terms summed per bucket of the key's
	// top bits, then the buckets' sums from the highest down.
	var ap float64
	for i := len(keys) - 1; i >= 0; {
		b := keys[i] >> hiBits
		g.apSum = 0
		for ; i >= 0 && keys[i]>>hiBits == b; i-- {
			g.add(keys[i], r.pos[i], r.neg[i])
		}
		ap += g.apSum
	}
	g.apSum = ap
	return g.result(), nil
}

// MarshalBinary encodes the counts compactly: the pixels seen, then the
// keys in increasing order as varint deltas, each with its two counts as
// varints.
func (c *ScoreCounts) MarshalBinary() ([]byte, error) {
	c.compact(true)
	var r countRun
	if len(c.runs) == 1 {
		r = c.runs[0]
	}
	b := make([]byte, 0, 8+6*len(r.keys))
	b = binary.AppendUvarint(b, uint64(c.seen))
	b = binary.AppendUvarint(b, uint64(len(r.keys)))
	prev := uint32(0)
	for i, k := range r.keys {
		b = binary.AppendUvarint(b, uint64(k-prev))
		b = binary.AppendUvarint(b, r.pos[i])
		b = binary.AppendUvarint(b, r.neg[i])
		prev = k
	}
	return b, nil
}

var errCounts = errors.New("metrics: malformed score counts")

// UnmarshalBinary decodes MarshalBinary's encoding.
func (c *ScoreCounts) UnmarshalBinary(b []byte) error {
	next := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, errCounts
		}
		b = b[n:]
		return v, nil
	}
	seen, err := next()
	if err != nil {
		return err
	}
	n, err := next()
	if err != nil || n > uint64(len(b))/3 { // 3+ bytes per key
		return errCounts
	}
	r := countRun{keys: make([]uint32, n), pos: make([]uint64, n), neg: make([]uint64, n)}
	var k uint64
	for i := range r.keys {
		d, err1 := next()
		p, err2 := next()
		q, err3 := next()
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		if k += d; k > 0xffffffff || (i > 0 && d == 0) {
			return errCounts
		}
		r.keys[i], r.pos[i], r.neg[i] = uint32(k), p, q
	}
	if len(b) != 0 {
		return errCounts
	}
	*c = ScoreCounts{seen: int64(seen)}
	c.push(r)
	return nil
}

// MarshalJSON carries the binary encoding (base64), so accumulators stay
// small and fast to ship as JSON.
func (c *ScoreCounts) MarshalJSON() ([]byte, error) {
	b, err := c.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Counts []byte `json:"counts_varint"`
	}{b})
}

// UnmarshalJSON decodes MarshalJSON's form.
func (c *ScoreCounts) UnmarshalJSON(raw []byte) error {
	var v struct {
		Counts []byte `json:"counts_varint"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	return c.UnmarshalBinary(v.Counts)
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
