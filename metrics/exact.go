package metrics

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

const (
	hiBits   = 16
	nBuckets = 1 << hiBits
	// maxChunk keeps the per-chunk uint32 bucket counts from overflowing.
	maxChunk = 1 << 31
)

// Exact computes AP, AUROC and FPR95 from the exact order of the scores of all
// non-void pixels (labels[i] != ignore). Ties are handled as scikit-learn
// does. It needs 2 bytes of extra memory per pixel.
func Exact(scores []float32, labels []uint8, ignore uint8) (Binary, error) {
	if len(scores) <= smallExactMax {
		return exactSmall(scores, labels, ignore, nil)
	}
	e, err := newExact(scores, labels, ignore)
	if err != nil {
		return Binary{}, err
	}
	return e.metrics(), nil
}

// ExactCurve returns the full curve (every distinct threshold) along with the
// metrics. The curve has one point per distinct score, so it may be as long
// as the input.
func ExactCurve(scores []float32, labels []uint8, ignore uint8) (Binary, *Curve, error) {
	if len(scores) <= smallExactMax {
		c := &Curve{}
		b, err := exactSmall(scores, labels, ignore, c)
		if err != nil {
			return Binary{}, nil, err
		}
		return b, c, nil
	}
	e, err := newExact(scores, labels, ignore)
	if err != nil {
		return Binary{}, nil, err
	}
	g := groupAcc{P: e.P, N: e.N, curve: &Curve{P: int64(e.P), N: int64(e.N)}, withCurve: true}
	s := newSortScratch()
	for b := nBuckets - 1; b >= 0; b-- {
		e.walkBucket(b, s, &g)
	}
	return g.result(), g.curve, nil
}

// smallExactMax is the input size up to which Exact sorts the keys
// directly: the bucketed engine has a fixed cost of a few MiB of counters,
// which dominates for small images. A variable so tests can force either path.
var smallExactMax = 1 << 15

// exactSmall is Exact by comparison sorting of the positive and negative
// keys; curve, if not nil, receives the curve.
func exactSmall(scores []float32, labels []uint8, ignore uint8, curve *Curve) (Binary, error) {
	if len(scores) != len(labels) {
		return Binary{}, fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	var pos, neg []uint32
	for i, v := range scores {
		switch labels[i] {
		case ignore:
			continue
		case 0, 1:
			if v != v {
				return Binary{}, fmt.Errorf("%w at index %d", ErrNaN, i)
			}
			if labels[i] == 1 {
				pos = append(pos, sortKey(v))
			} else {
				neg = append(neg, sortKey(v))
			}
		default:
			return Binary{}, fmt.Errorf("%w: label %d at index %d (ignore = %d)", ErrLabel, labels[i], i, ignore)
		}
	}
	if err := checkTotals(uint64(len(pos)), uint64(len(neg))); err != nil {
		return Binary{}, err
	}
	slices.Sort(pos)
	slices.Sort(neg)
	g := groupAcc{P: uint64(len(pos)), N: uint64(len(neg))}
	if curve != nil {
		*curve = Curve{P: int64(g.P), N: int64(g.N)}
		g.curve, g.withCurve = curve, true
	}
	i, j := len(pos)-1, len(neg)-1
	for i >= 0 || j >= 0 {
		var v uint32
		switch {
		case i < 0:
			v = neg[j]
		case j < 0:
			v = pos[i]
		default:
			v = max(pos[i], neg[j])
		}
		var dp, dn uint64
		for i >= 0 && pos[i] == v {
			dp++
			i--
		}
		for j >= 0 && neg[j] == v {
			dn++
			j--
		}
		g.add(v, dp, dn)
	}
	return g.result(), nil
}

// exact holds the bucketed low halves of the keys of one evaluation.
type exact struct {
	P, N   uint64
	pos    [nBuckets]uint64 // positives per bucket
	neg    [nBuckets]uint64
	posOff [nBuckets + 1]uint64 // start of each bucket's positives in lo
	negOff [nBuckets + 1]uint64 // start of each bucket's negatives in lo
	lo     []uint16
}

type chunk struct{ start, end int }

func splitChunks(n int) []chunk {
	k := runtime.GOMAXPROCS(0)
	if n < 1<<16 {
		k = 1
	}
	for n/k >= maxChunk {
		k++
	}
	cs := make([]chunk, k)
	for i := range cs {
		cs[i] = chunk{n * i / k, n * (i + 1) / k}
	}
	return cs
}

func newExact(scores []float32, labels []uint8, ignore uint8) (*exact, error) {
	if len(scores) != len(labels) {
		return nil, fmt.Errorf("%w: %d scores, %d labels", ErrShape, len(scores), len(labels))
	}
	cs := splitChunks(len(scores))
	hp := make([][]uint32, len(cs))
	hn := make([][]uint32, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for c := range cs {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			hp[c], hn[c], errs[c] = countChunk(scores, labels, ignore, cs[c])
		}(c)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	e := &exact{}
	for c := range cs {
		for b := 0; b < nBuckets; b++ {
			e.pos[b] += uint64(hp[c][b])
			e.neg[b] += uint64(hn[c][b])
		}
	}
	for b := 0; b < nBuckets; b++ {
		e.P += e.pos[b]
		e.N += e.neg[b]
	}
	if err := checkTotals(e.P, e.N); err != nil {
		return nil, err
	}
	for b := 0; b < nBuckets; b++ {
		e.posOff[b+1] = e.posOff[b] + e.pos[b]
		e.negOff[b+1] = e.negOff[b] + e.neg[b]
	}
	for b := 0; b <= nBuckets; b++ {
		e.negOff[b] += e.P
	}
	e.lo = make([]uint16, e.P+e.N)
	// Each chunk writes its keys after those of the chunks before it, so
	// the scatter is race-free and deterministic.
	curP := make([][]uint64, len(cs))
	curN := make([][]uint64, len(cs))
	runP := e.posOff
	runN := e.negOff
	for c := range cs {
		curP[c] = make([]uint64, nBuckets)
		curN[c] = make([]uint64, nBuckets)
		for b := 0; b < nBuckets; b++ {
			curP[c][b] = runP[b]
			runP[b] += uint64(hp[c][b])
			curN[c][b] = runN[b]
			runN[b] += uint64(hn[c][b])
		}
	}
	for c := range cs {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			scatterChunk(scores, labels, ignore, cs[c], curP[c], curN[c], e.lo)
		}(c)
	}
	wg.Wait()
	return e, nil
}

func countChunk(scores []float32, labels []uint8, ignore uint8, c chunk) (hp, hn []uint32, err error) {
	hp = make([]uint32, nBuckets)
	hn = make([]uint32, nBuckets)
	s := scores[c.start:c.end]
	l := labels[c.start:c.end:c.end]
	l = l[:len(s)]
	for i, v := range s {
		switch l[i] {
		case ignore:
			continue
		case 1:
			if v != v {
				return nil, nil, fmt.Errorf("%w at index %d", ErrNaN, c.start+i)
			}
			hp[sortKey(v)>>hiBits]++
		case 0:
			if v != v {
				return nil, nil, fmt.Errorf("%w at index %d", ErrNaN, c.start+i)
			}
			hn[sortKey(v)>>hiBits]++
		default:
			return nil, nil, fmt.Errorf("%w: label %d at index %d (ignore = %d)", ErrLabel, l[i], c.start+i, ignore)
		}
	}
	return hp, hn, nil
}

func scatterChunk(scores []float32, labels []uint8, ignore uint8, c chunk, curP, curN []uint64, lo []uint16) {
	s := scores[c.start:c.end]
	l := labels[c.start:c.end]
	l = l[:len(s)]
	curP = curP[:nBuckets]
	curN = curN[:nBuckets]
	for i, v := range s {
		lab := l[i]
		if lab == ignore {
			continue
		}
		k := sortKey(v)
		b := k >> hiBits
		if lab == 1 {
			lo[curP[b]] = uint16(k)
			curP[b]++
		} else {
			lo[curN[b]] = uint16(k)
			curN[b]++
		}
	}
}

// metrics walks the buckets from the highest scores down. Buckets are
// independent once their starting counts are known, so workers take
// contiguous bucket ranges and the partial sums are added in bucket order.
func (e *exact) metrics() Binary {
	// Starting cumulative counts of each bucket (counts of higher buckets).
	var tp0, fp0 [nBuckets]uint64
	var tp, fp uint64
	for b := nBuckets - 1; b >= 0; b-- {
		tp0[b], fp0[b] = tp, fp
		tp += e.pos[b]
		fp += e.neg[b]
	}
	type part struct {
		ap   float64
		auc2 u128
	}
	parts := make([]part, nBuckets)
	workers := runtime.GOMAXPROCS(0)
	total := e.P + e.N
	// Split buckets into ranges of about equal element counts: worker w
	// takes buckets [bounds[w+1], bounds[w]).
	bounds := []int{nBuckets}
	var acc uint64
	for b := nBuckets - 1; b >= 0 && len(bounds) < workers; b-- {
		acc += e.pos[b] + e.neg[b]
		if acc >= total*uint64(len(bounds))/uint64(workers) {
			bounds = append(bounds, b)
		}
	}
	bounds = append(bounds, 0)
	res95 := make([]groupAcc, len(bounds)-1)
	var wg sync.WaitGroup
	for w := 0; w+1 < len(bounds); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := newSortScratch()
			for b := bounds[w] - 1; b >= bounds[w+1]; b-- {
				if e.pos[b]+e.neg[b] == 0 {
					continue
				}
				g := groupAcc{P: e.P, N: e.N, tp: tp0[b], fp: fp0[b]}
				before := float64(g.tp)/float64(g.P) >= TPRTarget
				g.found = before
				e.walkBucket(b, s, &g)
				parts[b] = part{g.apSum, g.auc2}
				if g.found && !before {
					// The one bucket holding the first threshold with TPR >= 0.95.
					res95[w] = g
				}
			}
		}(w)
	}
	wg.Wait()
	g := groupAcc{P: e.P, N: e.N}
	for b := nBuckets - 1; b >= 0; b-- {
		g.apSum += parts[b].ap
		g.auc2.add(parts[b].auc2)
	}
	for _, r := range res95 {
		if r.found {
			g.fpAt95, g.keyAt95 = r.fpAt95, r.keyAt95
		}
	}
	return g.result()
}

// walkBucket sorts bucket b's positives and negatives and feeds its groups of
// tied scores, highest first, to g.
func (e *exact) walkBucket(b int, s *sortScratch, g *groupAcc) {
	ps := e.lo[e.posOff[b]:e.posOff[b+1]]
	ns := e.lo[e.negOff[b]:e.negOff[b+1]]
	s.sort(ps)
	s.sort(ns)
	i, j := len(ps)-1, len(ns)-1
	hi := uint32(b) << hiBits
	for i >= 0 || j >= 0 {
		var v uint16
		switch {
		case i < 0:
			v = ns[j]
		case j < 0:
			v = ps[i]
		default:
			v = max(ps[i], ns[j])
		}
		var dp, dn uint64
		for i >= 0 && ps[i] == v {
			dp++
			i--
		}
		for j >= 0 && ns[j] == v {
			dn++
			j--
		}
		g.add(hi|uint32(v), dp, dn)
	}
}
