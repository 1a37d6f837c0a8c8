package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFolderValid(t *testing.T) {
	dir := makeFolder(t)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.SplitNames(), ","); got != "train,val,test" {
		t.Fatalf("splits %s", got)
	}
	tr, err := d.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	st := Check(tr, 2)
	if len(st.Errors) != 0 {
		t.Fatalf("errors: %v", st.Errors)
	}
	// a: columns 0,1,2,0,1,2 -> 8 road, 8 car, 8 sky; b: 0,0,255 -> 16 road, 8 ignore.
	if st.ClassPixels[0] != 24 || st.ClassPixels[1] != 8 || st.ClassPixels[2] != 8 || st.IgnorePixels != 8 {
		t.Fatalf("class pixels %v ignore %d", st.ClassPixels, st.IgnorePixels)
	}
	if st.Sizes[[2]int{fxW, fxH}] != 2 || st.Valid != 2 {
		t.Fatalf("sizes %v valid %d", st.Sizes, st.Valid)
	}
	te, _ := d.Split("test")
	st = Check(te, 1)
	if len(st.Errors) != 0 {
		t.Fatal(st.Errors)
	}
	if st.AnomalyPixels != 8 || st.AnomalyImages != 1 || st.DepthImages != 2 {
		t.Fatalf("anomaly %d in %d images, depth images %d", st.AnomalyPixels, st.AnomalyImages, st.DepthImages)
	}
	if f := st.AnomalyFraction(); f != 8.0/48 {
		t.Fatalf("anomaly fraction %g", f)
	}
	smp, err := te.Load(0)
	if err != nil {
		t.Fatal(err)
	}
	if smp.ID != "d" || smp.Depth[5] != 5 || smp.Labels[1] != 254 {
		t.Fatalf("sample %s depth[5]=%g label[1]=%d", smp.ID, smp.Depth[5], smp.Labels[1])
	}
	if _, err := d.Split("extra"); err == nil || !strings.Contains(err.Error(), "train, val, test") {
		t.Fatalf("unknown split: %v", err)
	}
}

// TestFolderValidation breaks a valid fixture one way per row and checks
// that Check reports exactly that problem, naming the offending file.
func TestFolderValidation(t *testing.T) {
	n := fxW * fxH
	for _, tc := range []struct {
		name  string
		split string
		brk   func(t *testing.T, dir string) string // returns the file the error must name
		want  error
	}{
		{"label size mismatch", "train", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "train", "labels", "a.png")
			writeGray8(t, p, fxW-1, fxH, fill((fxW-1)*fxH, 0))
			return p
		}, ErrSizeMismatch},
		{"label value outside classes", "val", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "val", "labels", "c.png")
			writeGray8(t, p, fxW, fxH, stripes(fxW, fxH, 0, 7))
			return p
		}, ErrLabelValue},
		{"corrupt image", "train", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "train", "images", "b.png")
			b, _ := os.ReadFile(p)
			writeFile(t, p, string(b[:len(b)/2]))
			return p
		}, ErrCorrupt},
		{"corrupt label", "train", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "train", "labels", "b.png")
			writeFile(t, p, "garbage")
			return p
		}, ErrCorrupt},
		{"missing label", "val", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "val", "images", "z.png")
			writeRGB(t, p, fxW, fxH, 9)
			return p
		}, ErrMissingLabel},
		{"label without image", "val", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "val", "labels", "orphan.png")
			writeGray8(t, p, fxW, fxH, fill(n, 0))
			return p
		}, ErrMissingLabel},
		{"anomaly in train", "train", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "train", "labels", "a.png")
			writeGray8(t, p, fxW, fxH, stripes(fxW, fxH, 0, 254))
			return p
		}, ErrAnomalyInTrain},
		{"depth size mismatch", "test", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "test", "depth", "e.png")
			writeGray16(t, p, fxW, fxH+1, make([]uint16, fxW*(fxH+1)))
			return p
		}, ErrSizeMismatch},
		{"missing depth", "test", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "test", "depth", "e.png")
			os.Remove(p)
			return filepath.Join(dir, "test", "images", "e.png")
		}, ErrMissingFile},
		{"8-bit depth", "test", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "test", "depth", "d.png")
			writeGray8(t, p, fxW, fxH, fill(n, 3))
			return p
		}, ErrFormat},
		{"colour label", "val", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "val", "labels", "c.png")
			writeRGB(t, p, fxW, fxH, 1)
			return p
		}, ErrFormat},
		{"duplicate id", "train", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "train", "images", "a.jpg"), "x")
			return filepath.Join(dir, "train", "images", "a.jpg") // first of a.jpg, a.png
		}, ErrLayout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := makeFolder(t)
			file := tc.brk(t, dir)
			d, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			s, err := d.Split(tc.split)
			if err != nil {
				t.Fatal(err)
			}
			st := Check(s, 2)
			if len(st.Errors) != 1 {
				t.Fatalf("want 1 error, got %d: %v", len(st.Errors), st.Errors)
			}
			err = st.Errors[0]
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != file {
				t.Fatalf("error %q does not name %s", err, file)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); err == nil {
		t.Fatal("no dataset.json accepted")
	}
	writeFile(t, filepath.Join(dir, MetaFile), `{"name":"x","classes":["a"],"ignore_label":255,"anomaly_label":254}`)
	if _, err := Open(dir); !errors.Is(err, ErrLayout) {
		t.Fatalf("no splits: %v", err)
	}
	if _, err := Open("nosuchkind:" + dir); err == nil || !strings.Contains(err.Error(), "unknown dataset kind") {
		t.Fatalf("unknown kind: %v", err)
	}
	for _, k := range Kinds() {
		if _, err := Open(k + ":" + dir); !errors.Is(err, ErrLayout) {
			t.Errorf("%s on an empty dir: %v", k, err)
		}
	}
}

// TestFolderExtraSplit: a subdirectory other than train/val/test with an
// images/ folder is an extra evaluation split, listed after the three in
// name order; a directory without images/ is not.
func TestFolderExtraSplit(t *testing.T) {
	dir := makeFolder(t)
	for _, name := range []string{"test-far", "a-extra"} {
		for _, f := range []string{"images/d.png", "labels/d.png"} {
			src, err := os.ReadFile(filepath.Join(dir, "test", f))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, name, f), string(src))
		}
	}
	writeFile(t, filepath.Join(dir, "notes", "readme.txt"), "not a split")
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.SplitNames(), ","); got != "train,val,test,a-extra,test-far" {
		t.Fatalf("splits %s", got)
	}
	s, err := d.Split("test-far")
	if err != nil {
		t.Fatal(err)
	}
	if smp, err := s.Load(0); err != nil || smp.ID != "d" {
		t.Fatalf("test-far sample: %v %v", smp, err)
	}
}
