package serve

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/ood"
)

const sceneW, sceneH, sqX, sqY, sqS = 48, 24, 20, 6, 5

func scenePNG() []byte { return infertest.PNG(infertest.Scene(sceneW, sceneH, sqX, sqY, sqS)) }

func decodePredict(t *testing.T, body []byte) PredictResponse {
	t.Helper()
	var pr PredictResponse
	if err := json.Unmarshal(body, &pr); err != nil {
		t.Fatalf("response is not JSON: %v", err)
	}
	return pr
}

func TestPredictJSON(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{}, nil)
	rec := do(s, "POST", "/v1/predict", "image/png", scenePNG())
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	pr := decodePredict(t, rec.Body.Bytes())
	if pr.ID == "" || pr.ID != rec.Header().Get("X-Request-Id") {
		t.Errorf("id %q, header %q", pr.ID, rec.Header().Get("X-Request-Id"))
	}
	sum := pr.Summary
	if sum.Width != sceneW || sum.Height != sceneH || *sum.AnomalousPixels != sqS*sqS || sum.ThresholdSource != "bundle: test" {
		t.Errorf("summary %+v", sum)
	}
	if len(sum.Components) != 1 || sum.Components[0].BBox != [4]int{sqX, sqY, sqX + sqS - 1, sqY + sqS - 1} {
		t.Errorf("components %+v", sum.Components)
	}
	for _, l := range infer.Layers {
		b64, ok := pr.Layers[string(l)]
		if !ok {
			t.Fatalf("layer %s missing", l)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatal(err)
		}
		img, err := dataset.DecodeImage(raw)
		if err != nil {
			t.Fatalf("layer %s: %v", l, err)
		}
		if img.W != sceneW {
			t.Errorf("layer %s width %d", l, img.W)
		}
	}
	// JPEG works too.
	rec = do(s, "POST", "/v1/predict", "image/jpeg", infertest.JPEG(infertest.Scene(sceneW, sceneH, sqX, sqY, sqS)))
	if rec.Code != 200 {
		t.Fatalf("JPEG: %d %s", rec.Code, rec.Body.String())
	}
}

func TestPredictMultipart(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{}, nil)
	for _, field := range []string{"image", "file", "upload"} {
		body, ct := multipartBody(field, "scene.png", scenePNG(), map[string]string{"note": "text fields are skipped"})
		rec := do(s, "POST", "/v1/predict", ct, body)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", field, rec.Code, rec.Body.String())
		}
		if pr := decodePredict(t, rec.Body.Bytes()); pr.Summary.Image != "scene.png" || *pr.Summary.AnomalousPixels != sqS*sqS {
			t.Errorf("%s: summary %+v", field, pr.Summary)
		}
	}
}

func TestPredictPNG(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{}, nil)
	for _, l := range infer.Layers {
		rec := do(s, "POST", "/v1/predict?format=png&layer="+string(l), "", scenePNG())
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" {
			t.Fatalf("%s: %d %s", l, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: PNG answer without X-Content-Type-Options: nosniff", l)
		}
		c, err := infertest.At(rec.Body.Bytes(), sqX+1, sqY+1)
		if err != nil {
			t.Fatal(err)
		}
		if l == infer.LayerFused && ([3]uint8{c.R, c.G, c.B} != infer.AnomalyColor) {
			t.Errorf("fused anomaly pixel %v", c)
		}
		if got := rec.Header().Get("X-Anomalous-Fraction"); got != strconv.FormatFloat(float64(sqS*sqS)/(sceneW*sceneH), 'g', 6, 64) {
			t.Errorf("X-Anomalous-Fraction %q", got)
		}
	}
	// Default layer is the overlay.
	a := do(s, "POST", "/v1/predict?format=png", "", scenePNG())
	b := do(s, "POST", "/v1/predict?format=png&layer=overlay", "", scenePNG())
	if a.Code != 200 || a.Body.String() != b.Body.String() {
		t.Error("format=png without layer is not the overlay")
	}
}

func TestPredictThresholdQuery(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, nil, Config{}, nil)
	rec := do(s, "POST", "/v1/predict", "", scenePNG())
	pr := decodePredict(t, rec.Body.Bytes())
	if rec.Code != 200 || pr.Summary.Threshold != nil || pr.Summary.Warning != infer.NoThresholdWarning || pr.Layers["fused"] != "" {
		t.Errorf("uncalibrated: %d %+v", rec.Code, pr.Summary)
	}
	if pr.Layers["ood"] == "" || pr.Layers["seg"] == "" {
		t.Error("seg and heatmap must still be produced without a threshold")
	}
	msg := decodeError(t, do(s, "POST", "/v1/predict?format=png&layer=fused", "", scenePNG()), 409)
	if !strings.Contains(msg, "threshold") {
		t.Errorf("409 message %q", msg)
	}
	rec = do(s, "POST", "/v1/predict?threshold=-0.05", "", scenePNG())
	pr = decodePredict(t, rec.Body.Bytes())
	if rec.Code != 200 || *pr.Summary.Threshold != -0.05 || pr.Summary.ThresholdSource != "query" || *pr.Summary.AnomalousPixels != sqS*sqS || pr.Layers["fused"] == "" {
		t.Errorf("threshold query: %d %+v", rec.Code, pr.Summary)
	}
}

func TestPredictErrors(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{MaxBodyBytes: 4096, MaxPixels: 64 * 64}, nil)
	png := scenePNG()
	noFile, noFileCT := multipartBody("", "", nil, map[string]string{"a": "b"})
	bigPart, bigPartCT := multipartBody("image", "big.png", make([]byte, 5000), nil)
	cases := []struct {
		name, method, target, ct string
		body                     []byte
		code                     int
		want                     string
	}{
		{"get", "GET", "/v1/predict", "", nil, 405, "method GET"},
		{"empty", "POST", "/v1/predict", "", nil, 400, "empty image"},
		{"garbage", "POST", "/v1/predict", "", []byte("hello, not an image"), 415, "unsupported image format"},
		{"truncated png", "POST", "/v1/predict", "", png[:len(png)/2], 400, "corrupt image"},
		{"png header only", "POST", "/v1/predict", "", png[:40], 400, "corrupt image"},
		{"too many pixels", "POST", "/v1/predict", "", infertest.HugeHeaderPNG(100000, 100000), 413, "at most 4096"},
		{"just over", "POST", "/v1/predict", "", infertest.GrayPNG(65, 64, 7), 413, "65x64"},
		{"body too large", "POST", "/v1/predict", "", make([]byte, 5000), 413, "exceeds 4096 bytes"},
		{"bad format", "POST", "/v1/predict?format=gif", "", png, 400, "format"},
		{"bad layer", "POST", "/v1/predict?format=png&layer=x", "", png, 400, "layer"},
		{"nan threshold", "POST", "/v1/predict?threshold=NaN", "", png, 400, "finite"},
		{"inf threshold", "POST", "/v1/predict?threshold=1e99", "", png, 400, "finite"},
		{"word threshold", "POST", "/v1/predict?threshold=high", "", png, 400, "finite"},
		{"multipart without file", "POST", "/v1/predict", noFileCT, noFile, 400, "no file part"},
		{"multipart too large", "POST", "/v1/predict", bigPartCT, bigPart, 413, "exceeds 4096 bytes"},
		{"multipart no boundary", "POST", "/v1/predict", "multipart/form-data", png, 400, "multipart"},
		{"multipart truncated", "POST", "/v1/predict", noFileCT, noFile[:len(noFile)/2], 400, ""},
		{"unknown route", "GET", "/v2/predict", "", nil, 404, "no route"},
		{"index post", "POST", "/", "", nil, 405, "method POST"},
		{"healthz post", "POST", "/healthz", "", nil, 405, ""},
		{"metrics delete", "DELETE", "/metrics", "", nil, 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(s, tc.method, tc.target, tc.ct, tc.body)
			msg := decodeError(t, rec, tc.code)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not mention %q", msg, tc.want)
			}
			if tc.code == 405 && rec.Header().Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	// A model that fails or panics gives a 500 with the id logged.
	var logs syncBuffer
	for _, m := range []ood.Model{&infertest.ChannelModel{Fail: errors.New("disk on fire")}, infertest.PanicModel{}} {
		s := newTestServer(t, m, nil, Config{}, &logs)
		rec := do(s, "POST", "/v1/predict", "", png)
		decodeError(t, rec, 500)
		if id := rec.Header().Get("X-Request-Id"); !strings.Contains(logs.String(), "id="+id) {
			t.Errorf("request id %s not in the log:\n%s", id, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "disk on fire") || !strings.Contains(logs.String(), "deliberate panic") {
		t.Errorf("causes not logged:\n%s", logs.String())
	}
}

// A panic that escapes a handler is recovered by the middleware: 500 JSON
// with the request id, the stack in the log, the server still serving.
func TestMiddlewareRecovers(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, &infertest.ChannelModel{}, nil, Config{}, &logs)
	h := s.middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler bug") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	decodeError(t, rec, 500)
	out := logs.String()
	if !strings.Contains(out, "handler bug") || !strings.Contains(out, "id="+rec.Header().Get("X-Request-Id")) || !strings.Contains(out, "goroutine") {
		t.Errorf("panic log:\n%s", out)
	}
	if s.metrics.inFlight.Load() != 0 {
		t.Errorf("in-flight gauge %d after a panic", s.metrics.inFlight.Load())
	}
	if !strings.Contains(metricsText(t, s), `nflowjs_http_requests_total{route="other",code="500"} 1`) {
		t.Error("500 not counted")
	}
	// A panic after the header was written cannot change the status but
	// is still recovered and counted.
	h = s.middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(200)
		panic("late bug")
	}))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/late", nil))
	if rec.Code != 200 || !strings.Contains(logs.String(), "late bug") {
		t.Errorf("late panic: %d", rec.Code)
	}
}

func TestHealthz(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{MaxConcurrent: 3}, nil)
	rec := do(s, "GET", "/healthz", "", nil)
	var h Health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != 200 {
		t.Fatalf("%d %v %s", rec.Code, err, rec.Body.String())
	}
	if h.Status != "ok" || h.Score != "js(T=2)" || len(h.Classes) != 3 || len(h.Colors) != 3 || *h.Threshold != -0.05 || h.MaxConcurrent != 3 {
		t.Errorf("health %+v", h)
	}
	if rec := do(s, "HEAD", "/healthz", "", nil); rec.Code != 200 {
		t.Errorf("HEAD %d", rec.Code)
	}
}

func metricsText(t *testing.T, s *Server) string {
	t.Helper()
	rec := do(s, "GET", "/metrics", "", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	return rec.Body.String()
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{}, nil)
	do(s, "POST", "/v1/predict", "", scenePNG())
	do(s, "POST", "/v1/predict", "", scenePNG())
	do(s, "POST", "/v1/predict", "", []byte("junk"))
	do(s, "GET", "/healthz", "", nil)
	text := metricsText(t, s)
	for _, want := range []string{
		`nflowjs_http_requests_total{route="/v1/predict",code="200"} 2`,
		`nflowjs_http_requests_total{route="/v1/predict",code="415"} 1`,
		`nflowjs_http_requests_total{route="/healthz",code="200"} 1`,
		`nflowjs_http_request_duration_seconds_count{route="/v1/predict"} 3`,
		`nflowjs_http_request_duration_seconds_bucket{route="/v1/predict",le="+Inf"} 3`,
		`nflowjs_predict_stage_duration_seconds_count{stage="forward"} 2`,
		"nflowjs_http_requests_in_flight 1", // the /metrics request itself
		"nflowjs_predict_concurrency_limit 4",
		"nflowjs_predict_rejected_total 0",
		"nflowjs_predict_pixels_total " + strconv.Itoa(2*sceneW*sceneH),
		"# TYPE nflowjs_http_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	checkExposition(t, text)
}

// checkExposition parses the text format: every sample line is NAME{labels}
// VALUE of a declared family, and histogram buckets are cumulative.
func checkExposition(t *testing.T, text string) {
	t.Helper()
	types := map[string]string{}
	last := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			types[f[2]] = f[3]
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		name, val := line[:sp], line[sp+1:]
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			t.Fatalf("bad value in %q", line)
		}
		base := name
		if i := strings.IndexByte(name, '{'); i >= 0 {
			base = name[:i]
			if !strings.HasSuffix(name, "}") {
				t.Fatalf("bad labels in %q", line)
			}
		}
		fam := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, "_bucket"), "_sum"), "_count")
		if types[base] == "" && types[fam] != "histogram" {
			t.Fatalf("sample %q of an undeclared family", line)
		}
		if strings.HasSuffix(base, "_bucket") {
			series := name[:strings.Index(name, ",le=")]
			if v < last[series] {
				t.Fatalf("bucket counts decrease at %q", line)
			}
			last[series] = v
		}
	}
}

func TestIndex(t *testing.T) {
	s := newTestServer(t, &infertest.ChannelModel{}, nil, Config{}, nil)
	rec := do(s, "GET", "/", "", nil)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	for _, want := range []string{`id="file"`, `id="thr"`, `<canvas id="fused">`, `id="ood"`, "v1/predict"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Self-contained: no external scripts, styles or images.
	for _, bad := range []string{"http://", "https://", "src=\"//"} {
		if strings.Contains(body, bad) {
			t.Errorf("page references %s", bad)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
}

// MaxConcurrent predictions at once; the next gets 503 + Retry-After, and
// the busy ones still finish.
func TestConcurrencyLimit(t *testing.T) {
	m := &infertest.ChannelModel{Delay: 300 * time.Millisecond}
	s := newTestServer(t, m, f32(-0.05), Config{MaxConcurrent: 1}, nil)
	var wg sync.WaitGroup
	wg.Add(1)
	var first int
	go func() {
		defer wg.Done()
		first = do(s, "POST", "/v1/predict", "", scenePNG()).Code
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.sem) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	rec := do(s, "POST", "/v1/predict", "", scenePNG())
	decodeError(t, rec, 503)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	// Health and metrics are not behind the limit.
	if c := do(s, "GET", "/healthz", "", nil).Code; c != 200 {
		t.Errorf("healthz while saturated: %d", c)
	}
	wg.Wait()
	if first != 200 {
		t.Errorf("first request %d", first)
	}
	if !strings.Contains(metricsText(t, s), "nflowjs_predict_rejected_total 1\n") {
		t.Error("rejection not counted")
	}
}

// Run serves on a real listener and, when its context ends, lets the
// request in progress finish before returning.
func TestRunGracefulShutdown(t *testing.T) {
	m := &infertest.ChannelModel{Delay: 400 * time.Millisecond}
	s := newTestServer(t, m, f32(-0.05), Config{}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	type result struct {
		code int
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Post(url+"/v1/predict", "image/png", strings.NewReader(string(scenePNG())))
		if err != nil {
			res <- result{0, err}
			return
		}
		resp.Body.Close()
		res <- result{resp.StatusCode, nil}
	}()
	for m.Calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // as SIGTERM does in `nflowjs serve`
	r := <-res
	if r.err != nil || r.code != 200 {
		t.Errorf("in-flight request during shutdown: %d %v", r.code, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}

func TestConfigErrors(t *testing.T) {
	p, _ := infer.New(&infertest.ChannelModel{}, infer.Config{Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std})
	for _, c := range []Config{{MaxBodyBytes: -1}, {MaxPixels: -1}, {MaxConcurrent: -1}, {ReadTimeout: -time.Second}} {
		if _, err := New(p, c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("nil pipeline accepted")
	}
	s, err := New(p, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Config(); c.MaxPixels != DefaultMaxPixels || c.MaxConcurrent != DefaultMaxConcurrent || c.WriteTimeout != DefaultWriteTimeout {
		t.Errorf("defaults %+v", c)
	}
	hs := s.HTTPServer()
	if hs.ReadHeaderTimeout == 0 || hs.ReadTimeout == 0 || hs.WriteTimeout == 0 || hs.IdleTimeout == 0 {
		t.Errorf("http.Server without timeouts: %+v", hs)
	}
}
