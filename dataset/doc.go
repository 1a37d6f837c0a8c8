// Package dataset reads and writes nflowjs's generic dataset format and the
// on-disk layouts of real dense-OOD benchmarks, and feeds augmented batches
// to training.
//
// # Generic format
//
//	DATASET/dataset.json                {"name", "classes", "ignore_label", "anomaly_label"}
//	DATASET/<split>/images/<id>.png     RGB (or gray) 8-bit PNG or JPEG
//	DATASET/<split>/labels/<id>.png     8-bit one-channel PNG: 0..K-1 class, anomaly_label, ignore_label
//	DATASET/<split>/depth/<id>.png      optional 16-bit PNG, depth in centimetres (0 = unknown)
//
// Splits are train, val and test; a train split may not contain anomaly pixels.
package dataset
