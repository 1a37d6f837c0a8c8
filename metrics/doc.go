// Package metrics evaluates dense out-of-distribution (OOD) detection and
// outlier-aware semantic segmentation with the metrics the field reports:
// average precision (AP), area under the ROC curve (AUROC), false-positive
// rate at 95% true-positive rate (FPR95), confusion matrices, IoU, mIoU,
// open-mIoU, the SegmentMeIfYouCan (SMIYC) component metrics and FPR95 binned
// by depth (NFlowJS paper, Grcić et al., Sensors 2024, section 4.2, Table 5).
//
// # Conventions
//
// Scores are float32, one per pixel, higher = more anomalous. Labels are
// uint8 with 1 = anomaly (positive), 0 = inlier (negative) and a caller-chosen
// ignore value (255 in every public benchmark) for void pixels, which are
// excluded from every pixel metric. Image data is row-major: an N x H x W
// label volume is N consecutive H*W images.
//
// # Definitions
//
// The thresholds of every curve are the distinct score values, visited from
// high to low, exactly as scikit-learn's _binary_clf_curve; pixels with tied
// scores enter the curve together. With tp_i, fp_i the counts at the i-th
// threshold and P, N the totals:
//
//	AP    = Σ_i (R_i − R_{i−1}) · Prec_i,  R_i = tp_i/P, Prec_i = tp_i/(tp_i+fp_i), R_0 = 0
//	AUROC = Σ_i (F_i − F_{i−1}) · (T_i + T_{i−1}) / 2,  T = tp/P, F = fp/N (trapezoid)
//	FPR95 = F_i at the first i (highest threshold) with T_i ≥ 0.95
//
// AP is scikit-learn's average_precision_score (the step-wise sum that SMIYC
// and Fishyscapes report, not the trapezoid); AUROC equals roc_auc_score;
// FPR95 follows the SMIYC benchmark code (np.searchsorted(tpr, 0.95)).
//
// # Benchmark protocols
//
// A leaderboard's numbers come from its own code, which does not always
// compute the exact metrics above; Protocol selects whose convention a
// number follows. Pooled ("exact") is the definition above over all pixels;
// PerImage averages per image (StreetHazards); Fishyscapes is the
// bdl-benchmark's calculate_metrics_perpixAP, which is Pooled on float32
// scores; SMIYC and SMIYCUniform reproduce the SegmentMeIfYouCan evaluation
// (road-anomaly-benchmark's PixBinaryClass and PixBinaryClass-uniThr) to
// 1e-9: scores rounded to float16, binned per frame (768 percentile bins or
// 4096 uniform ones), NumPy 1.24's float16 arithmetic and tie order
// included (smiyc.go). On the fixture the exact AP is 0.66251 and the
// leaderboard's 0.66474. Per-frame bins (FrameBins) merge exactly, so a
// sharded evaluation gives the same bits as one pass (SMIYCSet.Merge).
//
// # Engines
//
// Exact computes the curves from the exact order of all scores. It does not
// sort comparison-wise: the order-preserving uint32 image of each float32
// score is bucketed by its top 16 bits in one counting pass, the low 16 bits
// are scattered into one uint16 array (2 bytes per pixel of extra memory), and
// every bucket is then sorted by a small radix or counting sort. Both passes
// run in parallel over GOMAXPROCS goroutines; the result is deterministic.
// Inputs of at most 32768 pixels skip the buckets and sort keys directly.
//
// Histogram is the streaming engine: fixed bins of counts per class,
// mergeable across images and machines, constant memory for any number of
// pixels. Its metrics are those of the exact engine applied to scores
// quantised to their bin, and Result also returns a data-dependent bound on
// the distance to the exact metrics (see Bounds).
//
// # Errors
//
// Functions return errors (never panic) for user input: mismatched lengths,
// labels outside {0, 1, ignore}, NaN scores, and inputs without positives or
// negatives. Errors wrap the sentinel values ErrShape, ErrLabel, ErrNaN,
// ErrNoPositives and ErrNoNegatives, and their messages start with "metrics:".
package metrics
