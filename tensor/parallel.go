package tensor

import (
	"runtime"
	"sync"
)

// ParallelFor splits [0, n) into at most GOMAXPROCS contiguous chunks and
// calls fn(start, end) for each chunk on its own goroutine, returning when
// all calls have finished. The calling goroutine runs the last chunk itself,
// so a single chunk (n <= 1 or GOMAXPROCS == 1) runs serially with no
// goroutine at all. fn must only write to data owned by its chunk.
//
// n counts work items (images, channels, rows): callers choose items big
// enough that a goroutine start (about a microsecond) is negligible.
func ParallelFor(n int, fn func(start, end int)) {
	parallelGrain(n, 1, fn)
}

// parallelGrain is ParallelFor with a minimum chunk size: it never makes a
// chunk smaller than grain items, so cheap per-item loops (elementwise math)
// stay serial on small tensors.
func parallelGrain(n, grain int, fn func(start, end int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := runtime.GOMAXPROCS(0)
	if maxc := n / grain; maxc < chunks {
		chunks = maxc
	}
	parallelChunks(n, chunks, func(_, s, e int) { fn(s, e) })
}

// parallelChunks splits [0, n) into exactly chunks contiguous ranges
// (chunks >= 1) and calls fn(i, start, end) for chunk i, chunk i on its own
// goroutine and the last one on the caller's. Callers use i to index
// per-chunk scratch such as partial sums.
func parallelChunks(n, chunks int, fn func(i, start, end int)) {
	if chunks <= 1 {
		fn(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(chunks - 1)
	for i := 0; i < chunks-1; i++ {
		s, e := i*n/chunks, (i+1)*n/chunks
		go func() {
			defer wg.Done()
			fn(i, s, e)
		}()
	}
	fn(chunks-1, (chunks-1)*n/chunks, n)
	wg.Wait()
}

// workers returns how many chunks ParallelFor(n, ...) uses, so callers can
// size per-chunk scratch (for example partial weight gradients).
func workers(n int) int {
	w := runtime.GOMAXPROCS(0)
	if n < w {
		w = n
	}
	if w < 1 {
		w = 1
	}
	return w
}
