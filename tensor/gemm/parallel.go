package gemm

import "github.com/nflowjs/nflowjs/tensor/internal/parallel"

// runParallel runs strip(0) … strip(n-1) concurrently, strip n-1 on the
// calling goroutine, and returns when all are done. Strips run on the
// polling helper goroutines of package parallel (shared with the tensor
// kernels), which start a strip within a microsecond instead of the
// ~100 µs it takes to wake an idle vCPU for a new goroutine.
func runParallel(n int, strip func(i int)) { parallel.Run(n, strip) }
