package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/ood"
)

func f32(v float32) *float32 { return &v }

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestServer serves the infertest stand-in model: three colour classes,
// gray = anomaly. logs receives the server log when non-nil.
func newTestServer(t testing.TB, m ood.Model, thr *float32, cfg Config, logs io.Writer) *Server {
	t.Helper()
	p, err := infer.New(m, infer.Config{Classes: infertest.Classes, Colors: infertest.Colors,
		Mean: infertest.Mean, Std: infertest.Std, Score: "js", Threshold: thr, ThresholdSource: "bundle: test"})
	if err != nil {
		t.Fatal(err)
	}
	if logs == nil {
		logs = io.Discard
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s, err := New(p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do runs one request through the handler.
func do(s *Server, method, target, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// multipartBody builds a multipart/form-data body: optional text fields,
// then the file under field (skipped when data is nil).
func multipartBody(field, filename string, data []byte, texts map[string]string) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range texts {
		_ = mw.WriteField(k, v)
	}
	if data != nil {
		fw, _ := mw.CreateFormFile(field, filename)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// decodeError checks that rec is a JSON error with the given code and
// the request id of its header, and returns the message.
func decodeError(t testing.TB, rec *httptest.ResponseRecorder, code int) string {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error content type %q", ct)
	}
	var e errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, rec.Body.String())
	}
	if e.Code != code || e.Error == "" || e.ID == "" || e.ID != rec.Header().Get("X-Request-Id") {
		t.Fatalf("error body %+v (header id %q)", e, rec.Header().Get("X-Request-Id"))
	}
	return e.Error
}

// serveLoopback runs s on a loopback listener until the test ends (then
// checks that Run shut down cleanly) and returns its address.
func serveLoopback(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return ln.Addr().String()
}
