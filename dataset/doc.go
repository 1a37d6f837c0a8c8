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
// dataset.json may also give "colors" (an RGB triple per class, for drawing)
// and "unknown_label" (inlier pixels whose class is not annotated).
//
// # Real benchmarks
//
// Open("KIND:DIR") reads a benchmark in its own release layout and converts
// its labels to the generic encoding on the fly: cityscapes, streethazards,
// fishyscapes-laf, fishyscapes-static, smiyc-anomaly, smiyc-obstacle,
// smiyc-laf, bsb and lostandfound (see Kinds, each reader's doc comment and
// docs/datasets.md for layouts and label encodings).
//
// # Data flow
//
// A Dataset lists its splits; a Split lists file names only (Entries) and
// decodes a Sample on Load: RGB uint8 HWC image, uint8 labels H×W, optional
// float32 depth in metres. Check validates a whole split and gathers
// statistics. A Loader decodes and augments on background goroutines
// (bounded by LoaderConfig.Prefetch batches) and yields float32 NCHW batches
// normalised with ImageNet mean/std by default. Every sample's random crop,
// scale, flip and jitter come from an RNG derived from (seed, epoch, dataset
// index), so batches are bit-identical for any number of workers.
//
// # Errors
//
// Nothing in this package panics on file contents. Problems with a file are
// returned as *FileError naming the file and wrapping one of the Err*
// sentinels (ErrCorrupt, ErrTooLarge, ErrFormat, ErrSizeMismatch,
// ErrLabelValue, ErrMissingLabel, ErrAnomalyInTrain, ErrMissingFile,
// ErrLayout), so callers can branch with errors.Is. Image headers are read
// first and anything above MaxPixels (64 Mpixel) is rejected before
// allocation.
package dataset
