// Package flow pre-trains the normalizing flow of NFlowJS (paper section
// 4.3): maximum likelihood (bits/dim) on random inlier crops of the train
// split, Adamax with a linear warm-up and gradient-norm clipping, one
// checkpoint per epoch, resumable bit for bit. It is the second of the
// three stages, beside train.RunClosed (stage 1) and train/joint (stage 2);
// `nflowjs train flow` is its command line.
//
// A run directory holds state.safetensors (the checkpoint: the flow's
// weights and the optimizer's state of one step, in one atomic file),
// flow.safetensors (the model, rewritten from the checkpoint on resume),
// config.json, log.jsonl (one row per epoch, written before the
// checkpoint) and samples.png. One run at a time per directory
// (internal/runlock).
//
// The model itself is package models/flow; this package imports it as nf.
package flow
