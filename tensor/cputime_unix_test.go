//go:build unix

package tensor

import (
	"syscall"
	"time"
)

// processCPUTime returns the user+system CPU time of this process. On a
// shared machine it measures a benchmark's own work, which wall-clock time
// inflates whenever other processes take the cores.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
