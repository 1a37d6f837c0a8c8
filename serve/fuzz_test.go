package serve

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/nflowjs/nflowjs/infer/infertest"
)

// FuzzPredictUpload feeds arbitrary bodies, raw or wrapped in a multipart
// form, to POST /v1/predict. Whatever the bytes, the server must answer
// 200 with a summary or a 4xx JSON error — never a 500 (a recovered panic
// would be one) and never a crash.
func FuzzPredictUpload(f *testing.F) {
	scene := infertest.Scene(12, 8, 4, 2, 3)
	png := infertest.PNG(scene)
	f.Add(png, false)
	f.Add(png, true)
	f.Add(infertest.JPEG(scene), false)
	f.Add(infertest.GrayPNG(5, 3, 77), true)
	f.Add(infertest.HugeHeaderPNG(1<<20, 1<<20), false)
	f.Add(png[:len(png)-20], false)
	f.Add([]byte{}, false)
	f.Add([]byte("GIF89a"), false)
	f.Add([]byte("\xff\xd8\xff\xe0garbage"), true)
	s := newTestServer(f, &infertest.ChannelModel{}, f32(-0.05), Config{MaxBodyBytes: 1 << 16, MaxPixels: 64 * 64}, nil)
	f.Fuzz(func(t *testing.T, data []byte, multipart bool) {
		ct := "application/octet-stream"
		body := data
		if multipart {
			body, ct = multipartBody("image", "fuzz.bin", data, nil)
		}
		rec := do(s, "POST", "/v1/predict", ct, body)
		switch rec.Code {
		case http.StatusOK:
			var pr PredictResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &pr); err != nil || len(pr.Layers) == 0 {
				t.Fatalf("200 without a valid response: %v", err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			decodeError(t, rec, rec.Code)
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	})
}
