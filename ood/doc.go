// Package ood computes dense out-of-distribution (anomaly) scores from the
// logits of a closed-set segmentation model, and fuses them with the
// closed-set prediction into an outlier-aware segmentation.
//
// # Layout
//
// Logits are float32 NCHW tensors (tensor.Tensor, or a plain slice with its
// dimensions): N images, K classes, H x W pixels, row-major, so the K logits
// of one pixel are H*W floats apart. Score maps are N x H x W.
//
// # Orientation
//
// Every anomaly score returned by Score, Compute and the Scorer
// implementations is oriented so that HIGHER = MORE ANOMALOUS. Where the
// natural quantity points the other way its sign is flipped, as documented
// on each Kind. In particular NFlowJS's divergence JS(U, softmax(l/T)) (paper
// eq. 7) is small for anomalies, whose softmax is close to uniform, so its
// anomaly score is −JS; JSDivergence returns the divergence itself (≥ 0).
//
// # Kernels
//
// Each score is one fused pass over the logits: a block of pixels is
// processed across all K channels with contiguous inner loops, so the logits
// are read from memory once (the max pass and the exp pass of a block touch
// the same cache lines) and no softmax tensor is materialised. Blocks are
// spread over GOMAXPROCS goroutines. Two AVX2/FMA assembly kernels
// (js_amd64.s, 8 pixels per instruction) are chosen at run time: jsAVX2 for
// NFlowJS and statsAVX2 for the per-pixel softmax statistics every other
// score derives from. Their pure-Go twins (jsGeneric, blockStats) are the
// fallback, handle tails and serve as test oracles; build with -tags noasm
// to use only Go. Both evaluate exp and log in float32 with Cephes
// polynomials (≈1 ulp), and agree with a float64 evaluation of the
// definitions to about 1e-6 absolute.
//
// Logits must be finite; NaN or infinite logits give unspecified scores.
//
// # Errors
//
// Public functions check shapes and parameters and return errors prefixed
// "ood:"; they do not panic on user input.
package ood
