package ood

import "github.com/nflowjs/nflowjs/tensor"

// taskPixels is the number of pixels per parallel task: large enough to
// amortise scheduling, small enough to balance 2-64 cores on one image.
const taskPixels = 1 << 14

// forPixels calls fn(img, i0, i1) for disjoint pixel ranges covering
// n images of hw pixels, on tensor's worker pool (the helpers the forward
// pass already keeps warm). Ranges start at multiples of taskPixels (so of
// 8) and SIMD blocks stay aligned with the image.
func forPixels(n, hw int, fn func(img, i0, i1 int)) {
	per := (hw + taskPixels - 1) / taskPixels
	tensor.ParallelFor(n*per, func(s, e int) {
		for t := s; t < e; t++ {
			img, i := t/per, (t%per)*taskPixels
			fn(img, i, min(i+taskPixels, hw))
		}
	})
}
