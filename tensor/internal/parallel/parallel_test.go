package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunCallsEveryTask checks that Run calls each index exactly once for
// sizes below, at and above GOMAXPROCS, and that task n-1 runs on the
// caller's goroutine (it may use the caller's state without locking).
func TestRunCallsEveryTask(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 64} {
		counts := make([]atomic.Int32, max(n, 1))
		callerRan := false
		Run(n, func(i int) {
			counts[i].Add(1)
			if i == n-1 {
				callerRan = true // written without synchronisation: only safe on the caller
			}
		})
		for i := 0; i < n; i++ {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("n=%d: task %d ran %d times", n, i, c)
			}
		}
		if n > 0 && !callerRan {
			t.Fatalf("n=%d: last task not observed", n)
		}
	}
}

// TestRunNestedAndConcurrent runs regions from several goroutines at once,
// each task opening a nested region, and after the helpers have parked:
// every task must run once and nothing may deadlock.
func TestRunNestedAndConcurrent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(3)
	var total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 50; r++ {
				Run(3, func(int) {
					Run(2, func(int) { total.Add(1) })
				})
			}
		}()
	}
	wg.Wait()
	if got := total.Load(); got != 4*50*3*2 {
		t.Fatalf("ran %d tasks, want %d", got, 4*50*3*2)
	}
	time.Sleep(3 * Spin) // let the helpers park, then wake them again
	var after atomic.Int32
	Run(3, func(int) { after.Add(1) })
	if after.Load() != 3 {
		t.Fatalf("after parking: ran %d tasks, want 3", after.Load())
	}
}
