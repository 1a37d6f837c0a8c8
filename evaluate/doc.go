// Package evaluate runs a trained segmentation model over a dataset split
// and reports what the NFlowJS paper (Grcić et al., Sensors 2024, section
// 4.2) measures: pixel-level anomaly detection (AP, FPR95, AUROC) for any
// set of OOD scores, closed-set mIoU, and the open-mIoU of outlier-aware
// segmentation with a threshold calibrated at TPR 95% on a validation split
// (DenseHybrid's protocol).
//
// # Scores
//
// Options.Scores names them (ood.ScoreNames, ood.ScoreHelp): the logit scores of
// package ood ("js" = NFlowJS at T = 2, "msp", "maxlogit", "entropy",
// "energy", "kl", "rkl"), standardized max-logit ("sml", fitted on training
// images) and the model-based baselines ("odin", "mcdropout", "react", the
// latter fitted on training images). NAME@V sets a score's main parameter:
// "msp@10", "react@0.99", "mcdropout@16". All scores share one
// orientation: higher = more anomalous.
//
// # Protocol
//
// Labels follow package dataset: classes 0..K−1, the anomaly label, the
// ignore label, and optionally the unknown label. For anomaly detection the
// anomaly label is positive, every other non-void pixel (unknown included)
// negative, and ignore pixels are excluded. Segmentation metrics skip
// ignore and unknown pixels; closed-set mIoU also skips anomaly pixels,
// while open-mIoU counts them as class K (metrics.Confusion.OpenIoU).
// Metrics come from package metrics under Options.Protocol: exact over all
// pooled pixels by default, averaged per image (StreetHazards), the
// SegmentMeIfYouCan leaderboard's binned protocols (each score first mapped
// onto [0, 1] from its natural bounds, or the split's min–max when it has
// none: UnitRange; the report gives the range) or Fishyscapes'.
//
// Images are read in dataset order without augmentation and every random
// choice is seeded (Options.Seed), so a report is deterministic. Model
// scorers with state (MC dropout's generator) are rebuilt for every pass,
// so test scores do not depend on whether a calibration pass ran first.
//
// # Memory
//
// Score maps are kept for the whole split (4 bytes per pixel per score)
// because the exact metrics need them; the procedural benchmarks hold a few
// million pixels.
//
// # Errors
//
// Errors start with "evaluate:" and name the problem: an unknown score, a
// class-count mismatch between model and dataset, a missing split or a
// split without anomaly pixels, a model lacking the interface a score needs.
package evaluate
