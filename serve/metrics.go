package serve

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the request-latency
// histograms: a small image on a tiny model takes milliseconds, a
// full-HD image on a large one seconds.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// histogram is a Prometheus histogram with fixed buckets.
type histogram struct {
	counts []uint64 // per bucket (not cumulative), last = +Inf
	sum    float64
	n      uint64
}

func (h *histogram) observe(v float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(latencyBuckets)+1)
	}
	i, _ := slices.BinarySearch(latencyBuckets, v)
	h.counts[i]++
	h.sum += v
	h.n++
}

// metrics holds the server's counters. They are written by hand in the
// Prometheus text exposition format (version 0.0.4) rather than through
// the client library, which would be the service's only dependency.
type metrics struct {
	inFlight atomic.Int64
	start    time.Time

	mu       sync.Mutex
	requests map[[2]string]uint64  // {route, code} -> count
	latency  map[string]*histogram // route -> seconds
	stages   map[string]*histogram // predict stage -> seconds
	pixels   uint64                // pixels predicted
	rejected uint64                // 503s from the concurrency limit
}

func newMetrics() *metrics {
	return &metrics{start: time.Now(), requests: map[[2]string]uint64{},
		latency: map[string]*histogram{}, stages: map[string]*histogram{}}
}

func (m *metrics) request(route string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(code)}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{}
		m.latency[route] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) stage(name string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.stages[name]
	if h == nil {
		h = &histogram{}
		m.stages[name] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) addPixels(n int) {
	m.mu.Lock()
	m.pixels += uint64(n)
	m.mu.Unlock()
}

func (m *metrics) reject() {
	m.mu.Lock()
	m.rejected++
	m.mu.Unlock()
}

// write prints every metric, families and series in sorted order.
func (m *metrics) write(w io.Writer, limit int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b []byte
	p := func(format string, args ...any) { b = fmt.Appendf(b, format, args...) }
	p("# HELP nflowjs_http_requests_total HTTP requests by route and status code.\n")
	p("# TYPE nflowjs_http_requests_total counter\n")
	keys := slices.SortedFunc(maps.Keys(m.requests), func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	})
	for _, k := range keys {
		p("nflowjs_http_requests_total{route=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	writeHist := func(name, help, label string, hs map[string]*histogram) {
		p("# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
		for _, key := range slices.Sorted(maps.Keys(hs)) {
			h := hs[key]
			var cum uint64
			for i, ub := range latencyBuckets {
				cum += h.counts[i]
				p("%s_bucket{%s=%q,le=%q} %d\n", name, label, key, formatFloat(ub), cum)
			}
			p("%s_bucket{%s=%q,le=\"+Inf\"} %d\n", name, label, key, h.n)
			p("%s_sum{%s=%q} %s\n", name, label, key, formatFloat(h.sum))
			p("%s_count{%s=%q} %d\n", name, label, key, h.n)
		}
	}
	writeHist("nflowjs_http_request_duration_seconds", "HTTP request latency by route.", "route", m.latency)
	writeHist("nflowjs_predict_stage_duration_seconds", "Time per prediction stage (preprocess, forward = model, argmax = closed-set labels, score = anomaly score, fuse = threshold, summary, encode = PNG/JSON).", "stage", m.stages)
	p("# HELP nflowjs_http_requests_in_flight Requests being served now.\n# TYPE nflowjs_http_requests_in_flight gauge\n")
	p("nflowjs_http_requests_in_flight %d\n", m.inFlight.Load())
	p("# HELP nflowjs_predict_concurrency_limit Maximum concurrent predictions before 503.\n# TYPE nflowjs_predict_concurrency_limit gauge\n")
	p("nflowjs_predict_concurrency_limit %d\n", limit)
	p("# HELP nflowjs_predict_rejected_total Predictions refused with 503 because the limit was reached.\n# TYPE nflowjs_predict_rejected_total counter\n")
	p("nflowjs_predict_rejected_total %d\n", m.rejected)
	p("# HELP nflowjs_predict_pixels_total Pixels segmented.\n# TYPE nflowjs_predict_pixels_total counter\n")
	p("nflowjs_predict_pixels_total %d\n", m.pixels)
	p("# HELP nflowjs_uptime_seconds Seconds since the server started.\n# TYPE nflowjs_uptime_seconds gauge\n")
	p("nflowjs_uptime_seconds %s\n", formatFloat(time.Since(m.start).Seconds()))
	_, err := w.Write(b)
	return err
}

// formatFloat prints v as Prometheus expects (Go's shortest repr; +Inf).
func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
