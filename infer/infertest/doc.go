// Package infertest provides a deterministic stand-in segmentation model
// (ChannelModel: one class per colour channel, gray = maximally uncertain)
// and synthetic test images (Scene: colour bands with one gray square) for
// the tests of infer, serve and the nflowjs CLI, so that the inference
// pipeline, the HTTP service and the web page can be checked exactly —
// the anomaly component, its box and its colour are known — without
// trained weights. Helpers panic only on encoding failures that cannot
// happen for in-memory images; they are for tests, not for user input.
package infertest
