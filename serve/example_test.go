package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/serve"
)

// Serve a pipeline and post an image to /v1/predict.
func ExampleServer() {
	threshold := float32(-0.05)
	p, err := infer.New(&infertest.ChannelModel{}, infer.Config{
		Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std, Threshold: &threshold,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := serve.New(p, serve.Config{MaxConcurrent: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(s.Handler()) // in production: s.Run(ctx, listener)
	defer srv.Close()

	img := infertest.PNG(infertest.Scene(40, 20, 10, 6, 4))
	resp, err := http.Post(srv.URL+"/v1/predict", "image/png", bytes.NewReader(img))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var out serve.PredictResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		fmt.Println(err)
		return
	}
	c := out.Summary.Components[0]
	fmt.Println(resp.StatusCode, out.Summary.Score, *out.Summary.AnomalousPixels, c.BBox, len(out.Layers))
	// Output:
	// 200 js(T=2) 16 [10 6 13 9] 5
}
