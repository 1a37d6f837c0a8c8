package synth

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"image"
	stdcolor "image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
)

// writeFashionFixture writes a tiny Fashion-MNIST in IDX format to dir:
// perClass items of every class in each file, each a filled ellipse whose
// size depends on the class, the image files gzipped as Debian ships them
// and the label files raw (both spellings are accepted).
func writeFashionFixture(t testing.TB, dir string, perClass int) {
	t.Helper()
	for _, name := range []string{"train", "t10k"} {
		n := 10 * perClass
		pix := make([]uint8, n*28*28)
		labs := make([]uint8, n)
		for i := range n {
			c := i % 10
			labs[i] = uint8(c)
			r := 5 + float64(c)
			for y := range 28 {
				for x := range 28 {
					dx, dy := float64(x)-13.5, (float64(y)-13.5)*(1+0.05*float64(i%3))
					if dx*dx+dy*dy < r*r {
						pix[i*784+y*28+x] = uint8(120 + 10*c)
					}
				}
			}
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(EncodeIDX(n, 28, 28, pix))
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, name+"-images-idx3-ubyte.gz"), gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-labels-idx1-ubyte"), EncodeIDX(n, 0, 0, labs), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func treeHash(t *testing.T, dir string) [32]byte {
	t.Helper()
	h := sha256.New()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		h.Write([]byte(rel))
		h.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// writePhotoFixture writes two small colour "photographs" (gradients with
// stripes) for the far-OOD split, one PNG and one JPEG.
func writePhotoFixture(t testing.TB, dir string) {
	t.Helper()
	for k, name := range []string{"a.png", "b.jpg"} {
		img := image.NewRGBA(image.Rect(0, 0, 40+8*k, 32))
		for y := range 32 {
			for x := range 40 + 8*k {
				img.Set(x, y, stdcolor.RGBA{uint8(6 * x), uint8(8 * y), uint8(255 * ((x / 4) % 2)), 255})
			}
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			err = png.Encode(f, img)
		} else {
			err = jpeg.Encode(f, img, nil)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestFashionOODGenerate(t *testing.T) {
	src, photos := t.TempDir(), t.TempDir()
	writeFashionFixture(t, src, 4)
	writePhotoFixture(t, photos)
	gen := func(out string, workers int) {
		cfg, err := Defaults("fashion-ood")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Source, cfg.FarSource, cfg.Out, cfg.Workers = src, photos, out, workers
		cfg.Train, cfg.Val, cfg.Test, cfg.TestFar, cfg.Height, cfg.Width = 6, 4, 4, 4, 48, 64
		if err := Generate(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	a, b := t.TempDir(), t.TempDir()
	gen(a, 1)
	gen(b, 3)
	if treeHash(t, a) != treeHash(t, b) {
		t.Fatal("same seed, different workers: different bytes")
	}
	ds, err := dataset.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Meta.Classes; len(got) != len(FashionClasses) {
		t.Fatalf("classes %v", got)
	}
	if got := strings.Join(ds.SplitNames(), ","); got != "train,val,test,"+FarSplit {
		t.Fatalf("splits %s", got)
	}
	for _, sp := range []string{"train", "val", "test", FarSplit} {
		s, err := ds.Split(sp)
		if err != nil {
			t.Fatal(err)
		}
		anom, objects := 0, 0
		for i := range s.Len() {
			smp, err := s.Load(i)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range smp.Labels {
				switch {
				case l == AnomalyLabel:
					anom++
				case l >= 1 && int(l) < len(FashionClasses):
					objects++
				case l != 0:
					t.Fatalf("%s image %d: label %d", sp, i, l)
				}
			}
		}
		if objects == 0 {
			t.Errorf("%s: no inlier object pixels", sp)
		}
		if (sp == "train") != (anom == 0) {
			t.Errorf("%s: %d anomaly pixels", sp, anom)
		}
	}
	raw, err := os.ReadFile(filepath.Join(a, "test", "anomalies.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range FashionValAnomalies {
		if strings.Contains(string(raw), name) {
			t.Errorf("test anomalies.json names val anomaly %q: %s", name, raw)
		}
	}
	raw, err = os.ReadFile(filepath.Join(a, FarSplit, "anomalies.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(FashionValAnomalies, FashionTestAnomalies...) {
		if strings.Contains(string(raw), name) {
			t.Errorf("%s anomalies.json names Fashion anomaly %q: %s", FarSplit, name, raw)
		}
	}
	if !strings.Contains(string(raw), FashionFarAnomalies[0]) {
		t.Errorf("%s anomalies.json: %s", FarSplit, raw)
	}
}

// TestFashionMissingFarSource: without photographs the far-OOD split is one
// error saying what to install, and --test-far 0 generates without it.
func TestFashionMissingFarSource(t *testing.T) {
	src := t.TempDir()
	writeFashionFixture(t, src, 4)
	cfg, _ := Defaults("fashion-ood")
	cfg.Source, cfg.FarSource, cfg.Out = src, filepath.Join(t.TempDir(), "none"), t.TempDir()
	cfg.Train, cfg.Val, cfg.Test, cfg.Height, cfg.Width = 2, 2, 2, 32, 32
	err := Generate(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "apt-get install python3-skimage") {
		t.Fatalf("want an install hint, got %v", err)
	}
	cfg.TestFar = 0
	if err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, FarSplit)); !os.IsNotExist(err) {
		t.Errorf("--test-far 0 wrote %s: %v", FarSplit, err)
	}
}

func TestFashionSplitsDisjoint(t *testing.T) {
	src := t.TempDir()
	writeFashionFixture(t, src, 4)
	fs, err := LoadFashion(src)
	if err != nil {
		t.Fatal(err)
	}
	// Val and test draw from disjoint halves of the test file's items.
	for _, c := range fashionInliers {
		items := fs.byClass[1][c]
		seen := map[*uint8]string{}
		for i := range 200 {
			for _, sp := range []string{"val", "test"} {
				img := fs.pick(imageRNG(1, "x", sp, i), sp, c)
				if prev, ok := seen[&img[0]]; ok && prev != sp {
					t.Fatalf("class %d: item used by %s and %s", c, prev, sp)
				}
				seen[&img[0]] = sp
			}
		}
		if len(items) < 2 {
			t.Fatal("fixture too small")
		}
	}
}

func TestFashionMissingSource(t *testing.T) {
	cfg, _ := Defaults("fashion-ood")
	cfg.Source, cfg.Out = filepath.Join(t.TempDir(), "none"), t.TempDir()
	err := Generate(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") {
		t.Fatalf("want an install hint, got %v", err)
	}
	if ents, _ := os.ReadDir(cfg.Out); len(ents) != 0 {
		t.Errorf("failed generation wrote %d entries", len(ents))
	}
}

func TestParseIDXErrors(t *testing.T) {
	good := EncodeIDX(2, 28, 28, make([]uint8, 2*784))
	if _, err := ParseIDXImages(good, "ok"); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"short":     good[:10],
		"truncated": good[:len(good)-1],
		"labels":    EncodeIDX(3, 0, 0, []uint8{1, 2, 3}),
		"huge":      EncodeIDX(1<<30, 28, 28, nil),
	} {
		if _, err := ParseIDXImages(b, name); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v should name the file", name, err)
		}
	}
	if _, err := ParseIDXLabels(EncodeIDX(3, 0, 0, []uint8{1, 2}), "lab"); err == nil {
		t.Error("truncated labels accepted")
	}
}

func FuzzParseIDX(f *testing.F) {
	f.Add(EncodeIDX(1, 2, 2, []uint8{1, 2, 3, 4}))
	f.Add(EncodeIDX(2, 0, 0, []uint8{1, 2}))
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, err := decodeIDXBytes(b, "fuzz")
		if err != nil {
			return
		}
		if m, err := ParseIDXImages(raw, "fuzz"); err == nil && len(m.Pix) != m.N*m.H*m.W {
			t.Fatalf("pixels %d for %dx%dx%d", len(m.Pix), m.N, m.H, m.W)
		}
		if l, err := ParseIDXLabels(raw, "fuzz"); err == nil && len(l) == 0 {
			t.Fatal("empty labels accepted")
		}
	})
}
