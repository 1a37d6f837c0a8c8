package dataset

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Split names of the generic format.
const (
	SplitTrain = "train"
	SplitVal   = "val"
	SplitTest  = "test"
)

// Entry names the files of one sample. Listing a split only fills entries;
// pixels are read by Split.Load.
type Entry struct {
	ID     string
	Image  string
	Label  string
	Depth  string // "" if none
	Camera string // stereo calibration JSON for disparity depth, "" if none
	err    error  // a problem found while listing (e.g. no label file)
}

// Err reports a problem found while listing this entry (such as a missing
// label map), or nil.
func (e *Entry) Err() error { return e.err }

// labelLUT maps raw label file values to the generic encoding; -1 marks a
// value the dataset's encoding does not allow.
type labelLUT [256]int16

// depthFunc reads the depth of an entry in metres for a w×h image.
type depthFunc func(e *Entry, w, h int) ([]float32, error)

// Split is an ordered list of samples of one dataset split, read lazily.
// A Split is safe for concurrent Load calls.
type Split struct {
	Name    string
	Meta    *Meta
	Entries []Entry
	// Problems found while listing that belong to no entry (a label map
	// without an image, a duplicate id, ...).
	Problems []error
	// Excluded counts images left out on purpose by the reader (BSB train
	// images containing held-out classes, SegmentMeIfYouCan frames whose
	// labels are withheld); Note says why.
	Excluded int
	Note     string

	lut   *labelLUT
	depth depthFunc
}

// Len returns the number of samples.
func (s *Split) Len() int { return len(s.Entries) }

// EvenSubset returns s restricted to n evenly spaced samples (s itself if
// n <= 0 or n >= s.Len()): entries i·Len/n for i < n.
func (s *Split) EvenSubset(n int) *Split {
	if n <= 0 || n >= s.Len() {
		return s
	}
	sub := *s
	sub.Entries = make([]Entry, n)
	for i := range n {
		sub.Entries[i] = s.Entries[i*s.Len()/n]
	}
	return &sub
}

// Err returns the problems found while listing the split (nil if none), so
// that evaluation and training refuse a split `nflowjs data check` refuses,
// instead of silently leaving files out.
func (s *Split) Err() error {
	switch len(s.Problems) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("dataset: split %s: %w", s.Name, s.Problems[0])
	}
	return fmt.Errorf("dataset: split %s: %w (and %d more problems; nflowjs data check lists them)", s.Name, s.Problems[0], len(s.Problems)-1)
}

// Load reads, decodes and validates sample i: the image must decode, the
// label map must exist, match the image size and hold only values the
// encoding allows; a train split may not contain anomalies; a depth map must
// match the image size.
func (s *Split) Load(i int) (*Sample, error) {
	if i < 0 || i >= len(s.Entries) {
		return nil, fmt.Errorf("dataset: split %s: index %d out of range [0, %d)", s.Name, i, len(s.Entries))
	}
	e := &s.Entries[i]
	if e.err != nil {
		return nil, e.err
	}
	img, err := ReadImage(e.Image)
	if err != nil {
		return nil, err
	}
	smp := &Sample{ID: e.ID, Image: img, ImagePath: e.Image, LabelPath: e.Label, DepthPath: e.Depth}
	smp.Labels, err = s.readLabels(e.Label, img.W, img.H)
	if err != nil {
		return nil, err
	}
	if s.depth != nil {
		smp.Depth, err = s.depth(e, img.W, img.H)
		if err != nil {
			return nil, err
		}
	}
	return smp, nil
}

// readLabels decodes a label map, checks its size and converts it to the
// generic encoding.
func (s *Split) readLabels(path string, w, h int) ([]uint8, error) {
	lw, lh, raw, err := ReadLabel(path)
	if err != nil {
		return nil, err
	}
	if lw != w || lh != h {
		return nil, fileErr(path, ErrSizeMismatch, "label map is %dx%d, image is %dx%d", lw, lh, w, h)
	}
	var bad [256]bool
	nbad := 0
	anomaly := uint8(s.Meta.AnomalyLabel)
	nAnomaly := 0
	for i, v := range raw {
		m := s.lut[v]
		if m < 0 {
			if !bad[v] {
				bad[v] = true
				nbad++
			}
			continue
		}
		raw[i] = uint8(m)
		if uint8(m) == anomaly {
			nAnomaly++
		}
	}
	if nbad > 0 {
		var vals []string
		for v := range bad {
			if bad[v] {
				vals = append(vals, fmt.Sprint(v))
			}
		}
		return nil, fileErr(path, ErrLabelValue, "values %s not allowed (%d classes, ignore %d, anomaly %d)",
			strings.Join(vals, ","), len(s.Meta.Classes), s.Meta.IgnoreLabel, s.Meta.AnomalyLabel)
	}
	if s.Name == SplitTrain && nAnomaly > 0 {
		return nil, fileErr(path, ErrAnomalyInTrain, "%d anomaly pixels", nAnomaly)
	}
	return raw, nil
}

// Dataset is a set of named splits sharing one Meta.
type Dataset struct {
	Kind string // reader kind, "folder" for the generic format
	Root string
	Meta *Meta

	names  []string
	splits map[string]*lazySplit
}

// lazySplit builds a split on first use (some readers must scan labels).
type lazySplit struct {
	once  sync.Once
	build func() (*Split, error)
	s     *Split
	err   error
}

func (d *Dataset) addSplit(name string, build func() (*Split, error)) {
	if d.splits == nil {
		d.splits = map[string]*lazySplit{}
	}
	d.names = append(d.names, name)
	d.splits[name] = &lazySplit{build: build}
}

// SplitNames lists the splits present, in train, val, test order.
func (d *Dataset) SplitNames() []string { return append([]string(nil), d.names...) }

// Split returns the named split, listing its files on first use.
func (d *Dataset) Split(name string) (*Split, error) {
	ls, ok := d.splits[name]
	if !ok {
		return nil, fmt.Errorf("dataset: %s (%s) has no split %q; it has %s", d.Root, d.Kind, name, strings.Join(d.names, ", "))
	}
	ls.once.Do(func() { ls.s, ls.err = ls.build() })
	return ls.s, ls.err
}

// Kinds lists the reader kinds accepted by Open as KIND:DIR.
func Kinds() []string {
	k := make([]string, 0, len(readers))
	for name := range readers {
		k = append(k, name)
	}
	sort.Strings(k)
	return k
}

// readers maps KIND to its opener; filled by the reader files' init.
var readers = map[string]func(root string) (*Dataset, error){}

// Open opens a dataset given as DIR (nflowjs's generic format) or KIND:DIR
// (a real benchmark in its own layout; see Kinds and docs/datasets.md).
func Open(spec string) (*Dataset, error) {
	if isDir(spec) {
		return OpenFolder(spec) // a folder whose name happens to contain ':'
	}
	if kind, dir, ok := strings.Cut(spec, ":"); ok {
		if open, known := readers[strings.ToLower(kind)]; known {
			return open(filepath.Clean(dir))
		}
		if !strings.ContainsAny(kind, `/\.`) && len(kind) > 1 {
			return nil, fmt.Errorf("dataset: unknown dataset kind %q in %q; kinds: %s", kind, spec, strings.Join(Kinds(), ", "))
		}
	}
	return OpenFolder(spec)
}
