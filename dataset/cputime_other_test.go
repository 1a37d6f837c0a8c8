//go:build !unix

package dataset

import "time"

// cpuTime is not measured on this platform; benchmarks then skip the
// images/cpu-s metric.
func cpuTime() time.Duration { return 0 }
