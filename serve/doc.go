// Package serve exposes an infer.Pipeline over HTTP: the outlier-aware
// segmentation of uploaded images as JSON or PNG, a health check,
// Prometheus metrics and a small web page.
//
// # Routes
//
//	POST /v1/predict   image as the raw body or as a multipart file field
//	                   ("image"); answers PredictResponse JSON (summary +
//	                   base64 PNG layers), or one PNG with ?format=png&layer=
//	                   ood|seg|fused|overlay|score. ?threshold=X re-fuses at X
//	                   instead of the bundle's calibrated threshold.
//	GET  /healthz      Health JSON: model score, classes, threshold, limits.
//	GET  /metrics      Prometheus text format 0.0.4: request counts by route
//	                   and code, latency histograms by route and by prediction
//	                   stage, in-flight requests, 503 rejections, pixels.
//	GET  /             a self-contained page (embedded, no external assets):
//	                   upload an image, see input, segmentation, score heatmap,
//	                   outlier-aware segmentation and overlay side by side; a
//	                   threshold slider re-fuses in the browser from the score
//	                   layer (the 8-bit score map over summary.score_range).
//
// # Hardening
//
// Request bodies are capped (MaxBodyBytes, 413); image headers are read
// before decoding and uploads over MaxPixels are refused without
// allocating their pixels (413); formats other than PNG, JPEG, WebP and
// TIFF get 415. The body is read (within UploadTimeout, else 408) and its
// header checked before a prediction slot is taken, so clients that upload
// slowly hold no slot and cannot lock the others out. At most MaxConcurrent
// predictions run or wait for the model at once; the next request gets 503
// with Retry-After instead of queueing without bound. Every answer carries
// X-Content-Type-Options: nosniff. The http.Server has read-header, read, write and idle
// timeouts; Run shuts down gracefully when its context ends (SIGTERM /
// SIGINT in `nflowjs serve`). Every error is JSON {"error", "code", "id"};
// the id is also in the X-Request-Id header and in the log line. A panic in
// a handler or in the model becomes a 500 with that id, logged with its
// stack; the server keeps running.
package serve
