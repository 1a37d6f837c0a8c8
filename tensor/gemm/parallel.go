package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// helperSpin is how long a helper goroutine keeps polling for the next
// strip after finishing one, and how long a caller polls for its helpers
// before blocking. On the 2-vCPU EPYC VM a goroutine started with `go`
// while the other core is idle begins running only ~100 µs later (the idle
// vCPU must be woken): a 256³ product took 270 µs on two cores instead of
// 170 µs. Polling goroutines start a strip within a microsecond, as
// OpenMP's spinning threads do for PyTorch. The cost is at most helperSpin
// of otherwise idle CPU per product; the polling loop yields to other
// goroutines on every pass.
const helperSpin = 200 * time.Microsecond

// A helper is a long-lived goroutine that runs strips for parallelSgemm.
type helper struct {
	claimed atomic.Bool            // owned by one parallelSgemm call
	task    atomic.Pointer[func()] // next strip, nil when none
	parked  atomic.Bool            // blocked on wake
	wake    chan struct{}          // capacity 1
}

// helpers is the pool, grown on demand to GOMAXPROCS-1 goroutines.
var helpers struct {
	mu   sync.Mutex
	list []*helper
}

// claimHelpers returns up to n helpers claimed for the caller's exclusive
// use (fewer when concurrent products hold the others); releaseHelpers
// gives them back.
func claimHelpers(n int) []*helper {
	helpers.mu.Lock()
	defer helpers.mu.Unlock()
	for len(helpers.list) < min(n, runtime.GOMAXPROCS(0)-1) {
		h := &helper{wake: make(chan struct{}, 1)}
		helpers.list = append(helpers.list, h)
		go h.loop()
	}
	var got []*helper
	for _, h := range helpers.list {
		if len(got) == n {
			break
		}
		if h.claimed.CompareAndSwap(false, true) {
			got = append(got, h)
		}
	}
	return got
}

func releaseHelpers(hs []*helper) {
	for _, h := range hs {
		h.claimed.Store(false)
	}
}

// start hands f to the helper, waking it if it has parked. The helper
// publishes parked before its last look at task, and start publishes task
// before looking at parked, so one of the two always sees the other.
func (h *helper) start(f func()) {
	h.task.Store(&f)
	if h.parked.Load() {
		select {
		case h.wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// loop runs tasks forever: polling for helperSpin after each one, then
// parking until start wakes it.
func (h *helper) loop() {
	for {
		deadline := time.Now().Add(helperSpin)
		for time.Now().Before(deadline) {
			if f := h.task.Swap(nil); f != nil {
				(*f)()
				deadline = time.Now().Add(helperSpin)
				continue
			}
			runtime.Gosched()
		}
		h.parked.Store(true)
		if f := h.task.Swap(nil); f != nil {
			h.parked.Store(false)
			(*f)()
			continue
		}
		<-h.wake
		h.parked.Store(false)
	}
}

// runParallel runs strip(0) … strip(n-1) concurrently, strip n-1 on the
// calling goroutine, and returns when all are done. Strips go to polling
// helpers when available, else to new goroutines.
func runParallel(n int, strip func(i int)) {
	hs := claimHelpers(n - 1)
	defer releaseHelpers(hs)
	var pending atomic.Int32
	pending.Store(int32(n - 1))
	done := make(chan struct{}, n-1)
	for i := 0; i < n-1; i++ {
		f := func() {
			strip(i)
			pending.Add(-1)
			done <- struct{}{}
		}
		if i < len(hs) {
			hs[i].start(f)
		} else {
			go f()
		}
	}
	strip(n - 1)
	// Poll briefly (a helper usually finishes within microseconds of the
	// caller), then block for the rest.
	deadline := time.Now().Add(helperSpin)
	for pending.Load() > 0 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	for i := 0; i < n-1; i++ {
		<-done
	}
}
