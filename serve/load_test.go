package serve

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nflowjs/nflowjs/infer/infertest"
)

// TestLoad fires 200 concurrent uploads at a real loopback listener whose
// concurrency limit is 4. Every answer must be a 200 or a deliberate 503;
// enough must succeed; and once the burst is over the heap must be back
// near where it started and the goroutines gone (nothing leaks per request).
func TestLoad(t *testing.T) {
	const clients, limit = 200, 4
	m := &infertest.ChannelModel{Delay: 2 * time.Millisecond}
	s := newTestServer(t, m, f32(-0.05), Config{MaxConcurrent: limit}, nil)
	url := "http://" + serveLoopback(t, s) + "/v1/predict"
	body := infertest.PNG(infertest.Scene(96, 48, 40, 20, 8))
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	burst := func() map[int]int {
		codes := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				code := -1
				resp, err := client.Post(url, "image/png", bytes.NewReader(body))
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				if err != nil {
					t.Errorf("request: %v", err)
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return codes
	}
	burst() // warm up connections and lazily allocated state
	tr.CloseIdleConnections()
	g0, h0 := runtime.NumGoroutine(), heap()
	// Sample the heap during the burst: its peak must stay bounded too,
	// since at most `limit` decoded images and results are alive at once.
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	codes := burst()
	close(stop)
	<-sampled
	if peak > h0+64<<20 {
		t.Errorf("heap peaked at %d bytes during the burst (from %d)", peak, h0)
	}
	tr.CloseIdleConnections()
	if codes[200]+codes[503] != clients {
		t.Errorf("answers other than 200 and 503: %v", codes)
	}
	if codes[200] < limit {
		t.Errorf("only %d successes of %d: %v", codes[200], clients, codes)
	}
	t.Logf("codes %v", codes)
	// Goroutines: server connections wind down asynchronously.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > g0+5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > g0+5 {
		t.Errorf("goroutines %d after the burst, %d before", g, g0)
	}
	const slack = 16 << 20
	if h1 := heap(); h1 > h0+slack {
		t.Errorf("heap grew from %d to %d bytes over a burst", h0, h1)
	} else {
		t.Logf("heap %d -> %d bytes (peak %d)", h0, h1, peak)
	}
	if s.metrics.inFlight.Load() != 0 || len(s.sem) != 0 {
		t.Errorf("in flight %d, semaphore %d after the burst", s.metrics.inFlight.Load(), len(s.sem))
	}
}
