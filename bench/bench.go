// Package bench holds the timed workloads of `nflowjs bench`: the shared
// workloads of ../shared/bench/torch_reference.py (gemm, js-score,
// segnet-ref; same shapes, same JSON keys, so the two compare line by line)
// and nflowjs's own (flow, predict). Each returns a map of measurements,
// medians of timed runs after warm-ups.
package bench

import (
	"fmt"
	"sort"
	"time"
)

// workloads by name, registered by the init functions of this package.
var workloads = map[string]func() (map[string]any, error){}

func register(name string, run func() (map[string]any, error)) {
	if _, dup := workloads[name]; dup {
		panic("bench: workload registered twice: " + name)
	}
	workloads[name] = run
}

// Names returns the workload names, sorted.
func Names() []string {
	names := make([]string, 0, len(workloads))
	for n := range workloads {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Run runs one workload and returns its measurements.
func Run(name string) (map[string]any, error) {
	run, ok := workloads[name]
	if !ok {
		return nil, fmt.Errorf("bench: unknown workload %q (have %v)", name, Names())
	}
	return run()
}

// MedianMS runs fn warmup times, then iters timed times, and returns the
// median wall time in milliseconds (the statistic the torch script uses).
func MedianMS(fn func(), warmup, iters int) float64 {
	for i := 0; i < warmup; i++ {
		fn()
	}
	times := make([]float64, iters)
	for i := range times {
		t0 := time.Now()
		fn()
		times[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
	}
	sort.Float64s(times)
	return times[len(times)/2]
}
