package tensor

import (
	"runtime"

	"github.com/nflowjs/nflowjs/tensor/internal/parallel"
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
// (chunks >= 1) and calls fn(i, start, end) for chunk i, the last one on
// the caller's goroutine and the others on the polling helpers of package
// parallel (which, unlike new goroutines, start within a microsecond when
// regions follow each other, as the layers of a forward pass do). Callers
// use i to index per-chunk scratch such as partial sums.
func parallelChunks(n, chunks int, fn func(i, start, end int)) {
	if chunks <= 1 {
		fn(0, 0, n)
		return
	}
	parallel.Run(chunks, func(i int) { fn(i, i*n/chunks, (i+1)*n/chunks) })
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
