package ood

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// taskPixels is the number of pixels per parallel task: large enough to
// amortise scheduling, small enough to balance 2-64 cores on one image.
const taskPixels = 1 << 14

// forPixels calls fn(img, i0, i1) for disjoint pixel ranges covering
// n images of hw pixels, on GOMAXPROCS goroutines. Ranges start at
// multiples of 8 so SIMD blocks stay aligned with the image.
func forPixels(n, hw int, fn func(img, i0, i1 int)) {
	per := (hw + taskPixels - 1) / taskPixels
	total := n * per
	workers := min(runtime.GOMAXPROCS(0), total)
	if workers <= 1 {
		for img := 0; img < n; img++ {
			for i := 0; i < hw; i += taskPixels {
				fn(img, i, min(i+taskPixels, hw))
			}
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1) - 1)
				if t >= total {
					return
				}
				img, i := t/per, (t%per)*taskPixels
				fn(img, i, min(i+taskPixels, hw))
			}
		}()
	}
	wg.Wait()
}
