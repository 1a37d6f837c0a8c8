package serve

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
)

//go:embed web/index.html
var indexHTML []byte

// errorBody is the JSON of every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  int    `json:"code"`
	ID    string `json:"id"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error (a NaN in a summary, say) gets here.
		code = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: encoding the response failed","code":500}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg, Code: code, ID: requestID(r)})
}

// httpError is a client-visible failure with its status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed; use %s", r.Method, strings.Join(methods, " or ")))
	return false
}

// predictQuery holds the parsed query parameters of /v1/predict.
type predictQuery struct {
	png       bool
	layer     infer.Layer
	threshold *float32
	source    string
}

func parsePredictQuery(r *http.Request, p *infer.Pipeline) (predictQuery, *httpError) {
	q := r.URL.Query()
	pq := predictQuery{layer: infer.LayerOverlay, threshold: p.Config().Threshold, source: p.Config().ThresholdSource}
	switch f := q.Get("format"); f {
	case "", "json":
	case "png":
		pq.png = true
	default:
		return pq, badRequest("format %q: use json or png", f)
	}
	if l := q.Get("layer"); l != "" {
		layer, err := infer.ParseLayer(l)
		if err != nil {
			return pq, badRequest("layer %q: use ood, seg, fused, overlay or score", l)
		}
		pq.layer = layer
	}
	if t := q.Get("threshold"); t != "" {
		v, err := strconv.ParseFloat(t, 32)
		if err != nil || infer.CheckThreshold(ptr(float32(v))) != nil {
			return pq, badRequest("threshold %q: want a finite number", t)
		}
		pq.threshold, pq.source = ptr(float32(v)), "query"
	}
	if pq.png && pq.layer == infer.LayerFused && pq.threshold == nil {
		return pq, &httpError{http.StatusConflict, "layer fused needs a threshold: the model has no calibrated one; pass ?threshold="}
	}
	return pq, nil
}

func ptr[T any](v T) *T { return &v }

// readUpload returns the image bytes of a raw or multipart body and the
// uploaded file name (multipart only).
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) ([]byte, string, *httpError) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	deadline := time.Now().Add(s.cfg.UploadTimeout)
	// A recorder in tests has no connection: the deadline is then checked
	// only by the timer below.
	_ = http.NewResponseController(w).SetReadDeadline(deadline)
	readErr := func(err error) *httpError {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.cfg.MaxBodyBytes)}
		case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) || !time.Now().Before(deadline):
			return &httpError{http.StatusRequestTimeout, fmt.Sprintf("upload not complete within %v; send the image faster or in a smaller encoding", s.cfg.UploadTimeout)}
		}
		return badRequest("reading the request body: %v", err)
	}
	var data []byte
	var name string
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, "", badRequest("multipart body: %v", err)
		}
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, "", badRequest("multipart body has no file part: send the image as a file field named \"image\"")
			}
			if err != nil {
				return nil, "", readErr(err)
			}
			if part.FileName() == "" && part.FormName() != "image" && part.FormName() != "file" {
				if _, err := io.Copy(io.Discard, part); err != nil {
					return nil, "", readErr(err)
				}
				continue
			}
			name = part.FileName()
			if data, err = io.ReadAll(part); err != nil {
				return nil, "", readErr(err)
			}
			break
		}
	} else {
		var err error
		if data, err = io.ReadAll(r.Body); err != nil {
			return nil, "", readErr(err)
		}
	}
	if len(data) == 0 {
		return nil, "", badRequest("empty image: send a PNG or JPEG as the request body or as a multipart file field \"image\"")
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return data, name, nil
}

// isTimeout reports a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// decode decodes an upload whose header checkHeader accepted, so an
// oversized upload has been refused without allocating its pixels.
func (s *Server) decode(b []byte) (img *dataset.Image, herr *httpError) {
	defer func() {
		// Third-party decoders (x/image) on hostile input: a panic is a
		// corrupt file, not a server error.
		if v := recover(); v != nil {
			img, herr = nil, badRequest("corrupt image: decoder failed: %v", v)
		}
	}()
	img, err := dataset.DecodeImage(b)
	if err != nil {
		return nil, badRequest("corrupt image: %v", err)
	}
	return img, nil
}

// checkHeader validates the image header: a known format, a non-empty size
// within MaxPixels. It allocates no pixels.
func (s *Server) checkHeader(b []byte) (herr *httpError) {
	defer func() {
		if v := recover(); v != nil {
			herr = badRequest("corrupt image: decoder failed: %v", v)
		}
	}()
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return &httpError{http.StatusUnsupportedMediaType, "unsupported image format: send PNG or JPEG (WebP and TIFF also work)"}
		}
		return badRequest("corrupt image: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return badRequest("empty image: %dx%d", cfg.Width, cfg.Height)
	}
	if n := int64(cfg.Width) * int64(cfg.Height); n > int64(s.cfg.MaxPixels) {
		return &httpError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("image is %dx%d = %d pixels; this server accepts at most %d", cfg.Width, cfg.Height, n, s.cfg.MaxPixels)}
	}
	return nil
}

// PredictResponse is the JSON answer of POST /v1/predict.
type PredictResponse struct {
	ID      string        `json:"id"`
	Summary infer.Summary `json:"summary"`
	// Layers holds base64-encoded PNGs by layer name: seg, ood, overlay,
	// score (8-bit gray over summary.score_range) and, with a threshold,
	// fused.
	Layers map[string]string `json:"layers"`
}

func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	q, herr := parsePredictQuery(r, s.pipe)
	if herr != nil {
		writeError(w, r, herr.code, herr.msg)
		return
	}
	// The body is read and its header checked before a slot is taken: a
	// slot is for the model, and a client sending slowly must not hold one.
	data, name, herr := s.readUpload(w, r)
	if herr != nil {
		if herr.code == http.StatusRequestTimeout {
			w.Header().Set("Connection", "close")
		}
		writeError(w, r, herr.code, herr.msg)
		return
	}
	if herr := s.checkHeader(data); herr != nil {
		writeError(w, r, herr.code, herr.msg)
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		s.metrics.reject()
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusServiceUnavailable, fmt.Sprintf("server busy: %d predictions in progress; retry later", s.cfg.MaxConcurrent))
		return
	}
	// Decoding allocates the pixels, so it runs inside the slot: memory
	// stays bounded by MaxConcurrent images whatever the number of uploads.
	img, herr := s.decode(data)
	if herr != nil {
		writeError(w, r, herr.code, herr.msg)
		return
	}
	res, err := s.pipe.PredictAt(img, q.threshold, q.source)
	if err != nil {
		if errors.Is(err, infer.ErrInput) {
			writeError(w, r, http.StatusBadRequest, err.Error())
			return
		}
		s.log.Error("predict failed", "id", requestID(r), "err", err)
		writeError(w, r, http.StatusInternalServerError, "prediction failed; the server log has details under this request id")
		return
	}
	res.Summary.Image = name
	s.metrics.addPixels(img.W * img.H)
	for st, d := range map[string]time.Duration{"preprocess": res.Timing.Preprocess, "forward": res.Timing.Forward,
		"argmax": res.Timing.Argmax, "score": res.Timing.Score, "fuse": res.Timing.Fuse, "summary": res.Timing.Summary} {
		s.metrics.stage(st, d)
	}
	t0 := time.Now()
	defer func() { s.metrics.stage("encode", time.Since(t0)) }()
	if q.png {
		b, err := res.PNG(q.layer)
		if err != nil {
			s.log.Error("encode failed", "id", requestID(r), "err", err)
			writeError(w, r, http.StatusInternalServerError, "encoding the layer failed")
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Header().Set("X-Anomalous-Fraction", fractionHeader(res.Summary.AnomalousFraction))
		_, _ = w.Write(b)
		return
	}
	out := PredictResponse{ID: requestID(r), Summary: res.Summary, Layers: map[string]string{}}
	for _, l := range infer.Layers {
		if l == infer.LayerFused && res.Fused == nil {
			continue
		}
		b, err := res.PNG(l)
		if err != nil {
			s.log.Error("encode failed", "id", requestID(r), "layer", l, "err", err)
			writeError(w, r, http.StatusInternalServerError, "encoding the layers failed")
			return
		}
		out.Layers[string(l)] = base64.StdEncoding.EncodeToString(b)
	}
	writeJSON(w, http.StatusOK, out)
}

func fractionHeader(f *float64) string {
	if f == nil {
		return "none"
	}
	return strconv.FormatFloat(*f, 'g', 6, 64)
}

// Health is the JSON answer of GET /healthz.
type Health struct {
	Status          string     `json:"status"`
	Score           string     `json:"score"`
	Classes         []string   `json:"classes"`
	Colors          [][3]uint8 `json:"colors"`
	Threshold       *float32   `json:"threshold"`
	ThresholdSource string     `json:"threshold_source,omitempty"`
	MaxPixels       int        `json:"max_pixels"`
	MaxBodyBytes    int64      `json:"max_body_bytes"`
	MaxConcurrent   int        `json:"max_concurrent"`
	InFlight        int        `json:"predictions_in_flight"`
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	c := s.pipe.Config()
	writeJSON(w, http.StatusOK, Health{Status: "ok", Score: s.pipe.ScoreName(), Classes: c.Classes, Colors: s.pipe.Palette(),
		Threshold: c.Threshold, ThresholdSource: c.ThresholdSource, MaxPixels: s.cfg.MaxPixels,
		MaxBodyBytes: s.cfg.MaxBodyBytes, MaxConcurrent: s.cfg.MaxConcurrent, InFlight: len(s.sem)})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b bytes.Buffer
	if err := s.metrics.write(&b, s.cfg.MaxConcurrent); err != nil {
		writeError(w, r, http.StatusInternalServerError, "metrics failed")
		return
	}
	_, _ = w.Write(b.Bytes())
}

// contentSecurityPolicy lets the page run only its own inline script and
// style, load images only from itself, data: and blob: URLs, and talk only
// to this server.
const contentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
	"img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, r, http.StatusNotFound, fmt.Sprintf("no route %s; see / for the page, POST /v1/predict, GET /healthz, GET /metrics", r.URL.Path))
		return
	}
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(indexHTML)
}
