//go:build e2e

package serve

// End-to-end test of the web page in a real headless Chromium. It needs a
// Chromium binary (Debian: apt-get install -y chromium) and runs only with
// the e2e build tag:
//
//	go test -tags e2e -run TestE2EPage ./serve
//
// NFLOWJS_CHROMIUM overrides the browser path; NFLOWJS_E2E_SCREENSHOT, if
// set, names a PNG file to save a screenshot of the rendered page to.

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nflowjs/nflowjs/infer/infertest"
)

func chromiumPath(t *testing.T) string {
	if p := os.Getenv("NFLOWJS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install it (Debian: apt-get install -y chromium) or set NFLOWJS_CHROMIUM")
	return ""
}

// pageState is what the test reads back from the rendered page.
type pageState struct {
	State      string `json:"state"`
	Status     string `json:"status"`
	Legend     int    `json:"legend"`
	SegW       int    `json:"segW"`
	SegH       int    `json:"segH"`
	OODH       int    `json:"oodH"`
	FusedW     int    `json:"fusedW"`
	FusedAnom  []int  `json:"fusedAnom"`
	FusedRed   []int  `json:"fusedRed"`
	OverAnom   []int  `json:"overAnom"`
	Pixels     string `json:"pixels"`
	Rows       int    `json:"rows"`
	ResultShow bool   `json:"resultShown"`
}

const readState = `(() => {
  const $ = (id) => document.getElementById(id);
  const px = (id, x, y) => Array.from($(id).getContext("2d").getImageData(x, y, 1, 1).data.slice(0, 3));
  return {
    state: document.body.dataset.state, status: $("status").textContent,
    legend: document.querySelectorAll("#legend span").length,
    segW: $("seg").naturalWidth, segH: $("seg").naturalHeight, oodH: $("ood").naturalHeight,
    fusedW: $("fused").width,
    fusedAnom: px("fused", SX, SY), fusedRed: px("fused", 2, 2), overAnom: px("overlay", SX, SY),
    pixels: $("frac").dataset.pixels || "", rows: document.querySelectorAll("#components tbody tr").length,
    resultShown: !$("result").hidden,
  };
})()`

func setSlider(v string) string {
	return `(() => { const s = document.getElementById("thr"); s.value = "` + v + `";
  s.dispatchEvent(new Event("input", { bubbles: true }));
  return document.getElementById("frac").dataset.pixels; })()`
}

// TestE2EPage uploads a scene with one gray square through the page's file
// input and checks what Chromium rendered: the layers decoded at the image
// size, the square cyan in the client-side fused canvas, the components
// table, and the threshold slider re-fusing in the browser.
func TestE2EPage(t *testing.T) {
	const w, h, sx, sy, ss = 120, 60, 50, 20, 10
	s := newTestServer(t, &infertest.ChannelModel{}, f32(-0.05), Config{}, nil)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	img := filepath.Join(t.TempDir(), "scene.png")
	if err := os.WriteFile(img, infertest.PNG(infertest.Scene(w, h, sx, sy, ss)), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox)
	base, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, cancelA := chromedp.NewExecAllocator(base, opts...)
	defer cancelA()
	ctx, cancelC := chromedp.NewContext(actx)
	defer cancelC()

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1400, 1000),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#file"),
	); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	// The legend comes from /healthz: three classes plus the anomaly.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#legend span").length === 4`,
		chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("legend: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#file", []string{img})); err != nil {
		t.Fatalf("upload: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`["done", "error"].includes(document.body.dataset.state)`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for the result: %v", err)
	}
	expr := strings.NewReplacer("SX", strconv.Itoa(sx+2), "SY", strconv.Itoa(sy+2)).Replace(readState)
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](expr))
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "done" {
		t.Fatalf("page state %q: %s", st.State, st.Status)
	}
	if !st.ResultShow || st.Legend != 4 || st.SegW != w || st.SegH != h || st.OODH != h+18 || st.FusedW != w {
		t.Errorf("rendered layers: %+v", st)
	}
	if !slices.Equal(st.FusedAnom, []int{0, 255, 255}) {
		t.Errorf("anomaly pixel in the fused canvas = %v, want cyan", st.FusedAnom)
	}
	if !slices.Equal(st.FusedRed, []int{int(infertest.Colors[0][0]), int(infertest.Colors[0][1]), int(infertest.Colors[0][2])}) {
		t.Errorf("red band in the fused canvas = %v, want the class colour", st.FusedRed)
	}
	if st.OverAnom[0] > 40 || st.OverAnom[1] < 200 || st.OverAnom[2] < 200 {
		t.Errorf("overlay anomaly pixel = %v", st.OverAnom)
	}
	if st.Pixels != strconv.Itoa(ss*ss) || st.Rows != 1 {
		t.Errorf("anomalous pixels %q (want %d), %d component rows", st.Pixels, ss*ss, st.Rows)
	}
	if p := os.Getenv("NFLOWJS_E2E_SCREENSHOT"); p != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(p, shot, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}
	// The slider re-fuses in the browser: at the top of the range nothing
	// is anomalous, at the bottom every pixel above the minimum is.
	top, err := chromedp.Run(ctx, chromedp.Evaluate[string](setSlider("1000")))
	if err != nil || top != "0" {
		t.Errorf("slider at the top: %q anomalous pixels (%v)", top, err)
	}
	bottom, err := chromedp.Run(ctx, chromedp.Evaluate[string](setSlider("0")))
	if err != nil || bottom != strconv.Itoa(w*h) {
		t.Errorf("slider at the bottom: %q anomalous pixels, want %d (%v)", bottom, w*h, err)
	}
	// "server threshold" restores the server's exact fusion.
	if err := chromedp.Do(ctx, chromedp.Click("#thr-reset")); err != nil {
		t.Fatal(err)
	}
	back, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("frac").dataset.pixels`))
	if err != nil || back != strconv.Itoa(ss*ss) {
		t.Errorf("after reset: %q anomalous pixels, want %d (%v)", back, ss*ss, err)
	}
	// An invalid upload shows the server's error on the page.
	bad := filepath.Join(t.TempDir(), "notes.png")
	if err := os.WriteFile(bad, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#file", []string{bad})); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.body.dataset.state === "error" && document.getElementById("status").textContent`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !strings.Contains(msg, "unsupported image format") || !strings.Contains(msg, "415") {
		t.Errorf("error display %q (%v)", msg, err)
	}
}
