package dataset

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Subdirectories of a split in the generic format.
const (
	ImagesDir = "images"
	LabelsDir = "labels"
	DepthDir  = "depth"
)

// imageExts are the image file extensions listed as samples.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".webp": true, ".tif": true, ".tiff": true}

// folderLUT allows 0..K-1, the ignore, anomaly and (if set) unknown labels.
func folderLUT(m *Meta) *labelLUT {
	var l labelLUT
	for v := range l {
		l[v] = -1
	}
	for v := 0; v < len(m.Classes); v++ {
		l[v] = int16(v)
	}
	l[m.IgnoreLabel] = int16(m.IgnoreLabel)
	l[m.AnomalyLabel] = int16(m.AnomalyLabel)
	if m.UnknownLabel != 0 {
		l[m.UnknownLabel] = int16(m.UnknownLabel)
	}
	return &l
}

// OpenFolder opens DIR in nflowjs's generic format (see the package doc):
// it reads dataset.json and finds the train, val and test splits present,
// then any other subdirectory holding an images/ folder as an extra
// evaluation split in name order (e.g. fashion-ood's test-far).
// Files are listed when a split is first requested and read by Split.Load.
func OpenFolder(dir string) (*Dataset, error) {
	m, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Kind: "folder", Root: dir, Meta: m}
	names := []string{SplitTrain, SplitVal, SplitTest}
	if des, err := os.ReadDir(dir); err == nil {
		for _, de := range des { // ReadDir sorts by name
			n := de.Name()
			if n == SplitTrain || n == SplitVal || n == SplitTest || strings.HasPrefix(n, ".") || !de.IsDir() {
				continue
			}
			if st, err := os.Stat(filepath.Join(dir, n, ImagesDir)); err == nil && st.IsDir() {
				names = append(names, n)
			}
		}
	}
	for _, name := range names {
		sd := filepath.Join(dir, name)
		if st, err := os.Stat(sd); err != nil || !st.IsDir() {
			continue
		}
		d.addSplit(name, func() (*Split, error) { return listFolderSplit(sd, name, m) })
	}
	if len(d.names) == 0 {
		return nil, fileErr(dir, ErrLayout, "no train, val or test directory")
	}
	return d, nil
}

// stemFiles maps file stems in dir to file names, keeping only the given
// extensions (all if exts is nil). Duplicate stems are reported as problems
// and left out of the map.
func stemFiles(dir string, exts map[string]bool) (map[string]string, []error, error) {
	out, _, probs, err := stemFilesDup(dir, exts)
	return out, probs, err
}

// stemFilesDup is stemFiles also returning the set of duplicate stems.
func stemFilesDup(dir string, exts map[string]bool) (map[string]string, map[string][]string, []error, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	out := map[string]string{}
	dups := map[string][]string{}
	for _, de := range des {
		if de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		ext := strings.ToLower(filepath.Ext(de.Name()))
		if exts != nil && !exts[ext] {
			continue
		}
		stem := strings.TrimSuffix(de.Name(), filepath.Ext(de.Name()))
		if prev, dup := out[stem]; dup {
			if dups[stem] == nil {
				dups[stem] = []string{prev}
			}
			dups[stem] = append(dups[stem], de.Name())
			continue
		}
		out[stem] = de.Name()
	}
	// An ambiguous id is dropped entirely rather than resolved arbitrarily.
	var probs []error
	for stem, names := range dups {
		delete(out, stem)
		probs = append(probs, fileErr(filepath.Join(dir, names[0]), ErrLayout, "duplicate id %q: %s", stem, strings.Join(names, ", ")))
	}
	return out, dups, probs, nil
}

func listFolderSplit(sd, name string, m *Meta) (*Split, error) {
	imgDir := filepath.Join(sd, ImagesDir)
	imgs, dupImgs, probs, err := stemFilesDup(imgDir, imageExts)
	if err != nil {
		return nil, fileErr(imgDir, ErrLayout, "%v", err)
	}
	labDir := filepath.Join(sd, LabelsDir)
	labs, p2, err := stemFiles(labDir, map[string]bool{".png": true})
	if err != nil && !os.IsNotExist(err) {
		return nil, fileErr(labDir, ErrLayout, "%v", err)
	}
	probs = append(probs, p2...)
	depDir := filepath.Join(sd, DepthDir)
	deps, p3, err := stemFiles(depDir, map[string]bool{".png": true})
	hasDepth := err == nil
	probs = append(probs, p3...)

	s := &Split{Name: name, Meta: m, lut: folderLUT(m), Problems: probs}
	if hasDepth {
		s.depth = readDepthCM
	}
	ids := make([]string, 0, len(imgs))
	for id := range imgs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := Entry{ID: id, Image: filepath.Join(imgDir, imgs[id])}
		if f, ok := labs[id]; ok {
			e.Label = filepath.Join(labDir, f)
		} else {
			e.err = fileErr(e.Image, ErrMissingLabel, "no %s", filepath.Join(labDir, id+".png"))
		}
		if hasDepth {
			if f, ok := deps[id]; ok {
				e.Depth = filepath.Join(depDir, f)
			} else if e.err == nil {
				e.err = fileErr(e.Image, ErrMissingFile, "split has a depth directory but no %s", filepath.Join(depDir, id+".png"))
			}
		}
		s.Entries = append(s.Entries, e)
	}
	for id, f := range labs {
		if _, ok := imgs[id]; !ok && dupImgs[id] == nil {
			s.Problems = append(s.Problems, fileErr(filepath.Join(labDir, f), ErrMissingLabel, "label map without an image %s.*", filepath.Join(imgDir, id)))
		}
	}
	sort.Slice(s.Problems, func(i, j int) bool { return s.Problems[i].Error() < s.Problems[j].Error() })
	if len(s.Entries) == 0 {
		s.Problems = append(s.Problems, fileErr(imgDir, ErrLayout, "no images"))
	}
	return s, nil
}

// DepthScale converts the generic format's 16-bit depth values (cm) to metres.
const DepthScale = 0.01

// readDepthCM reads a generic-format depth map (uint16 centimetres, 0 =
// unknown) into metres.
func readDepthCM(e *Entry, w, h int) ([]float32, error) {
	dw, dh, raw, err := ReadGray16(e.Depth)
	if err != nil {
		return nil, err
	}
	if dw != w || dh != h {
		return nil, fileErr(e.Depth, ErrSizeMismatch, "depth map is %dx%d, image is %dx%d", dw, dh, w, h)
	}
	out := make([]float32, len(raw))
	for i, v := range raw {
		out[i] = float32(v) * DepthScale
	}
	return out, nil
}
