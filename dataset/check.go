package dataset

import (
	"runtime"
	"sort"
	"sync"
)

// SplitStats summarises one split: what `nflowjs data check` prints.
type SplitStats struct {
	Split    string
	Images   int // samples listed
	Valid    int // samples that loaded without error
	Excluded int // left out by the reader on purpose (see Split.Note)
	// Sizes counts samples per [W, H].
	Sizes map[[2]int]int
	// ClassPixels[k] counts pixels of class k.
	ClassPixels                                             []int64
	IgnorePixels, AnomalyPixels, UnknownPixels, TotalPixels int64
	// AnomalyImages counts images with at least one anomaly pixel.
	AnomalyImages int
	// DepthImages counts samples with depth; DepthMin/Max span the known
	// (non-zero) depths in metres.
	DepthImages        int
	DepthMin, DepthMax float32
	// Errors lists every problem found: listing problems first, then
	// per-sample errors in sample order.
	Errors []error
}

// AnomalyFraction is the share of anomaly pixels among non-ignored pixels.
func (st *SplitStats) AnomalyFraction() float64 {
	n := st.TotalPixels - st.IgnorePixels
	if n == 0 {
		return 0
	}
	return float64(st.AnomalyPixels) / float64(n)
}

// SortedSizes returns the distinct sizes, most frequent first.
func (st *SplitStats) SortedSizes() [][2]int {
	out := make([][2]int, 0, len(st.Sizes))
	for s := range st.Sizes {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := st.Sizes[out[i]], st.Sizes[out[j]]
		if a != b {
			return a > b
		}
		return out[i][0]*out[i][1] < out[j][0]*out[j][1]
	})
	return out
}

// Check loads every sample of s with the given number of workers (<= 0:
// all CPUs) and gathers statistics and errors. It never stops at the first
// error, so one run reports every broken file.
func Check(s *Split, workers int) *SplitStats {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	m := s.Meta
	st := &SplitStats{Split: s.Name, Images: s.Len(), Excluded: s.Excluded,
		Sizes: map[[2]int]int{}, ClassPixels: make([]int64, len(m.Classes))}
	st.Errors = append(st.Errors, s.Problems...)
	errs := make([]error, s.Len())
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var hist [256]int64
			for i := range next {
				smp, err := s.Load(i)
				if err != nil {
					errs[i] = err
					continue
				}
				hist = [256]int64{}
				for _, v := range smp.Labels {
					hist[v]++
				}
				mu.Lock()
				st.accumulate(smp, &hist, m)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < s.Len(); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			st.Errors = append(st.Errors, e)
		}
	}
	return st
}

func (st *SplitStats) accumulate(smp *Sample, hist *[256]int64, m *Meta) {
	st.Valid++
	st.Sizes[[2]int{smp.W(), smp.H()}]++
	for k := range st.ClassPixels {
		st.ClassPixels[k] += hist[k]
	}
	st.IgnorePixels += hist[m.IgnoreLabel]
	st.AnomalyPixels += hist[m.AnomalyLabel]
	if hist[m.AnomalyLabel] > 0 {
		st.AnomalyImages++
	}
	if m.UnknownLabel != 0 {
		st.UnknownPixels += hist[m.UnknownLabel]
	}
	st.TotalPixels += int64(len(smp.Labels))
	if smp.Depth != nil {
		st.DepthImages++
		for _, d := range smp.Depth {
			if d <= 0 {
				continue
			}
			if st.DepthMin == 0 || d < st.DepthMin {
				st.DepthMin = d
			}
			if d > st.DepthMax {
				st.DepthMax = d
			}
		}
	}
}
