package dataset

import (
	"os"
	"path/filepath"
	"testing"
)

// maxFuzzInput caps fuzz inputs: the decoders' cost is bounded by MaxPixels
// from the header, and large inputs only slow the fuzzer down.
const maxFuzzInput = 1 << 16

func addSeeds(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.png"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(encodeJPEG(f, false))
	f.Add(encodeJPEG(f, true))
	f.Add(encodeSolidWebP(4, 2, 1, 2, 3))
	f.Add(encodeTIFF(f))
}

// FuzzDecodeLabel: no input may panic; accepted maps must be consistent.
func FuzzDecodeLabel(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		w, h, pix, err := DecodeLabel(b)
		if err != nil {
			return
		}
		if w <= 0 || h <= 0 || w*h > MaxPixels || len(pix) != w*h {
			t.Fatalf("accepted %dx%d with %d values", w, h, len(pix))
		}
	})
}

// FuzzDecodeImage: no input may panic; accepted images must be consistent,
// and the 16-bit decoder must hold up on the same inputs.
func FuzzDecodeImage(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzInput {
			return
		}
		if img, err := DecodeImage(b); err == nil {
			if img.W <= 0 || img.H <= 0 || len(img.Pix) != 3*img.W*img.H {
				t.Fatalf("accepted %dx%d with %d bytes", img.W, img.H, len(img.Pix))
			}
		}
		if w, h, pix, err := DecodeGray16(b); err == nil && len(pix) != w*h {
			t.Fatalf("gray16 %dx%d with %d values", w, h, len(pix))
		}
	})
}
