package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Spin is how long a helper keeps polling for the next task after
// finishing one, and how long Run polls for its helpers before blocking.
const Spin = 200 * time.Microsecond

// A helper is a long-lived goroutine that runs tasks for Run.
type helper struct {
	claimed atomic.Bool            // owned by one Run call
	task    atomic.Pointer[func()] // next task, nil when none
	parked  atomic.Bool            // blocked on wake
	wake    chan struct{}          // capacity 1
}

// helpers is the pool, grown on demand to GOMAXPROCS-1 goroutines.
var helpers struct {
	mu   sync.Mutex
	list []*helper
}

// claim returns up to n helpers claimed for the caller's exclusive use
// (fewer when concurrent regions hold the others); release gives them back.
func claim(n int) []*helper {
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

func release(hs []*helper) {
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

// loop runs tasks forever: polling for Spin after each one, then parking
// until start wakes it.
func (h *helper) loop() {
	for {
		deadline := time.Now().Add(Spin)
		for time.Now().Before(deadline) {
			if f := h.task.Swap(nil); f != nil {
				(*f)()
				deadline = time.Now().Add(Spin)
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

// Run calls task(0) … task(n-1) concurrently, task(n-1) on the calling
// goroutine, and returns when all have returned. Tasks go to polling
// helpers when available, else to new goroutines, so nested or concurrent
// calls never wait for each other. n <= 1 runs task(0) (if n == 1) inline.
func Run(n int, task func(i int)) {
	if n <= 1 {
		if n == 1 {
			task(0)
		}
		return
	}
	hs := claim(n - 1)
	defer release(hs)
	var pending atomic.Int32
	pending.Store(int32(n - 1))
	done := make(chan struct{}, n-1)
	for i := 0; i < n-1; i++ {
		f := func() {
			task(i)
			pending.Add(-1)
			done <- struct{}{}
		}
		if i < len(hs) {
			hs[i].start(f)
		} else {
			go f()
		}
	}
	task(n - 1)
	// Poll briefly (a helper usually finishes within microseconds of the
	// caller), then block for the rest.
	deadline := time.Now().Add(Spin)
	for pending.Load() > 0 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	for i := 0; i < n-1; i++ {
		<-done
	}
}
