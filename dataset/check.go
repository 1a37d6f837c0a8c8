package dataset

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
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

// WriteText prints the statistics as `nflowjs data check` shows them: image
// counts and sizes, then pixels per class, anomaly, ignore (and unknown)
// label with their shares, and the depth range if any. s and m are the
// split and dataset the statistics describe.
func (st *SplitStats) WriteText(w io.Writer, s *Split, m *Meta) {
	fmt.Fprintf(w, "\n[%s] %d images, %d valid", st.Split, st.Images, st.Valid)
	if st.Excluded > 0 {
		fmt.Fprintf(w, ", %d excluded (%s)", st.Excluded, s.Note)
	}
	fmt.Fprintln(w)
	var sizes []string
	for _, sz := range st.SortedSizes() {
		sizes = append(sizes, fmt.Sprintf("%dx%d (%d)", sz[0], sz[1], st.Sizes[sz]))
	}
	if len(sizes) > 0 {
		fmt.Fprintf(w, "  sizes WxH: %s\n", strings.Join(sizes, ", "))
	}
	if st.TotalPixels == 0 {
		return
	}
	tot := float64(st.TotalPixels)
	fmt.Fprintf(w, "  %-28s %14s %8s\n", "class", "pixels", "%")
	for k, n := range st.ClassPixels {
		fmt.Fprintf(w, "  %2d %-25s %14d %8.3f\n", k, m.Classes[k], n, 100*float64(n)/tot)
	}
	if m.UnknownLabel != 0 {
		fmt.Fprintf(w, "  %3d %-24s %14d %8.3f\n", m.UnknownLabel, "inlier (class unknown)", st.UnknownPixels, 100*float64(st.UnknownPixels)/tot)
	}
	fmt.Fprintf(w, "  %3d %-24s %14d %8.3f\n", m.AnomalyLabel, "anomaly", st.AnomalyPixels, 100*float64(st.AnomalyPixels)/tot)
	fmt.Fprintf(w, "  %3d %-24s %14d %8.3f\n", m.IgnoreLabel, "ignore", st.IgnorePixels, 100*float64(st.IgnorePixels)/tot)
	fmt.Fprintf(w, "  anomaly fraction of non-ignored pixels: %.5f; images with anomalies: %d\n", st.AnomalyFraction(), st.AnomalyImages)
	if st.DepthImages > 0 {
		fmt.Fprintf(w, "  depth: %d images, known depths %.2f-%.2f m\n", st.DepthImages, st.DepthMin, st.DepthMax)
	}
}
