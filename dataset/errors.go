package dataset

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned for a bad file wraps one of these in
// a *FileError, so callers can test the kind with errors.Is and still print a
// message that names the file.
var (
	// ErrCorrupt: the file cannot be decoded (truncated, bad checksum,
	// unknown format, ...).
	ErrCorrupt = errors.New("unreadable or corrupt file")
	// ErrTooLarge: the header declares more than MaxPixels pixels; the file
	// is rejected before any pixel buffer is allocated.
	ErrTooLarge = errors.New("image too large")
	// ErrFormat: the file decodes but has the wrong kind of pixels (an RGB
	// label map, a 16-bit label map, an 8-bit disparity map, ...).
	ErrFormat = errors.New("unsupported pixel format")
	// ErrSizeMismatch: an image and its label (or depth) map differ in size.
	ErrSizeMismatch = errors.New("size mismatch")
	// ErrLabelValue: a label map contains a value the dataset does not declare.
	ErrLabelValue = errors.New("label value outside the declared classes")
	// ErrMissingLabel: an image has no label map (or a label map no image).
	ErrMissingLabel = errors.New("missing label")
	// ErrAnomalyInTrain: a train split contains anomaly pixels.
	ErrAnomalyInTrain = errors.New("anomaly pixels in a train split")
	// ErrMissingFile: a file the layout requires (camera calibration,
	// depth map, ...) is missing.
	ErrMissingFile = errors.New("missing file")
	// ErrLayout: a directory does not have the layout its kind expects.
	ErrLayout = errors.New("unexpected directory layout")
)

// FileError reports a problem with one file of a dataset.
type FileError struct {
	Path string // file the problem was found in
	Err  error  // wraps one of the Err* sentinels
}

func (e *FileError) Error() string { return "dataset: " + e.Path + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// fileErr wraps a sentinel with a formatted detail and the file name.
func fileErr(path string, kind error, format string, args ...any) error {
	if format == "" {
		return &FileError{Path: path, Err: kind}
	}
	return &FileError{Path: path, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
}
