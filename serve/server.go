package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/nflowjs/nflowjs/infer"
)

// Defaults of Config.
const (
	DefaultMaxBodyBytes      = 32 << 20 // 32 MiB: a full-HD PNG is ~3-6 MiB
	DefaultMaxPixels         = 4 << 20  // 4 Mpixel, e.g. 2048×2048
	DefaultMaxConcurrent     = 4
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultUploadTimeout     = 15 * time.Second
	DefaultWriteTimeout      = 120 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultShutdownTimeout   = 30 * time.Second
)

// Config holds the server's limits; zero fields take the defaults above.
type Config struct {
	// MaxBodyBytes caps the request body (413 beyond).
	MaxBodyBytes int64
	// MaxPixels caps width × height of an upload, checked from the image
	// header before any pixel buffer is allocated (413 beyond).
	MaxPixels int
	// MaxConcurrent caps predictions in progress, including those waiting
	// for the model; further requests get 503 at once rather than queueing
	// without bound.
	MaxConcurrent int
	// UploadTimeout bounds the time a client has to send a prediction's
	// body, counted from the start of the handler (408 beyond). The body is
	// read before a prediction slot is taken, so slow uploaders hold no slot
	// and cannot lock out other clients.
	UploadTimeout time.Duration
	// Timeouts of the http.Server (Run) and of graceful shutdown.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	// Logger receives one line per request and every error (default: slog.Default()).
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	set(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	set(&c.ReadTimeout, DefaultReadTimeout)
	set(&c.UploadTimeout, DefaultUploadTimeout)
	set(&c.WriteTimeout, DefaultWriteTimeout)
	set(&c.IdleTimeout, DefaultIdleTimeout)
	set(&c.ShutdownTimeout, DefaultShutdownTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	switch {
	case c.MaxBodyBytes < 0:
		return fmt.Errorf("serve: max body bytes %d < 0", c.MaxBodyBytes)
	case c.MaxPixels < 0:
		return fmt.Errorf("serve: max pixels %d < 0", c.MaxPixels)
	case c.MaxConcurrent < 0:
		return fmt.Errorf("serve: max concurrent %d < 0", c.MaxConcurrent)
	}
	for _, d := range []time.Duration{c.UploadTimeout, c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout, c.ShutdownTimeout} {
		if d < 0 {
			return fmt.Errorf("serve: negative timeout %v", d)
		}
	}
	return nil
}

// Server serves a Pipeline over HTTP.
type Server struct {
	pipe    *infer.Pipeline
	cfg     Config
	log     *slog.Logger
	sem     chan struct{}
	metrics *metrics
	handler http.Handler
}

// New returns a Server for p.
func New(p *infer.Pipeline, cfg Config) (*Server, error) {
	if p == nil {
		return nil, errors.New("serve: nil pipeline")
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Server{pipe: p, cfg: cfg, log: cfg.Logger, sem: make(chan struct{}, cfg.MaxConcurrent), metrics: newMetrics()}
	mux := http.NewServeMux()
	// Routes are matched by path only; methods are checked in the handlers
	// so that a wrong method gets a JSON 405 like every other error.
	mux.HandleFunc("/v1/predict", s.handlePredict)
	mux.HandleFunc("/healthz", s.handleHealthz)
	mux.HandleFunc("/metrics", s.handleMetrics)
	mux.HandleFunc("/", s.handleIndex)
	s.handler = s.middleware(mux)
	return s, nil
}

// Config returns the configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Handler returns the HTTP handler with all routes and middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for s with the configured timeouts.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Run serves on ln until ctx is cancelled (e.g. by SIGTERM through
// signal.NotifyContext), then shuts down gracefully: the listener closes,
// requests in progress get up to ShutdownTimeout to finish. It returns nil
// after a clean shutdown.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// recorder remembers the status code written through it.
type recorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.written {
		r.code, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.written {
		r.code, r.written = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type ctxKey struct{}

// requestID returns the id the middleware gave r.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// route maps a path to a bounded metric label.
func route(path string) string {
	switch path {
	case "/v1/predict", "/healthz", "/metrics", "/":
		return path
	}
	return "other"
}

// middleware gives every request an id (X-Request-Id), counts it in the
// metrics, logs it, and turns a panic anywhere below into a 500 JSON error
// carrying the id, logged with its stack.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newID()
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, id))
		w.Header().Set("X-Request-Id", id)
		// Every answer, PNG layers included, is to be taken as its declared
		// type, never sniffed.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		s.metrics.inFlight.Add(1)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { // net/http's way to abort a response: let it through
					s.metrics.inFlight.Add(-1)
					panic(v)
				}
				s.log.Error("panic", "id", id, "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !rec.written {
					writeError(rec, r, http.StatusInternalServerError, "internal error; the server log has details under this request id")
				} else {
					rec.code = http.StatusInternalServerError
				}
			}
			s.metrics.inFlight.Add(-1)
			d := time.Since(start)
			s.metrics.request(route(r.URL.Path), rec.code, d)
			s.log.Info("request", "id", id, "method", r.Method, "path", r.URL.Path, "code", rec.code, "ms", float64(d.Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}
