package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/tiff"
)

type golden struct {
	W      int      `json:"w"`
	H      int      `json:"h"`
	Labels []uint8  `json:"labels"`
	RGB    []uint8  `json:"rgb"`
	Gray16 []uint16 `json:"gray16"`
}

func readGolden(t *testing.T) map[string]golden {
	t.Helper()
	b, err := os.ReadFile("testdata/decode_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestDecodeGolden decodes the fixtures written by testdata/gen_fixtures.py
// (an independent PNG encoder) and compares every pixel.
func TestDecodeGolden(t *testing.T) {
	for name, g := range readGolden(t) {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if g.Labels != nil {
			w, h, pix, err := DecodeLabel(b)
			if err != nil {
				t.Errorf("%s: DecodeLabel: %v", name, err)
			} else if w != g.W || h != g.H || !bytes.Equal(pix, g.Labels) {
				t.Errorf("%s: labels %dx%d %v, want %dx%d %v", name, w, h, pix, g.W, g.H, g.Labels)
			}
		}
		if g.RGB != nil {
			img, err := DecodeImage(b)
			if err != nil {
				t.Errorf("%s: DecodeImage: %v", name, err)
			} else if img.W != g.W || img.H != g.H || !bytes.Equal(img.Pix, g.RGB) {
				t.Errorf("%s: rgb %v, want %v", name, img.Pix, g.RGB)
			}
		}
		if g.Gray16 != nil {
			w, h, pix, err := DecodeGray16(b)
			if err != nil {
				t.Errorf("%s: DecodeGray16: %v", name, err)
				continue
			}
			if w != g.W || h != g.H {
				t.Errorf("%s: %dx%d", name, w, h)
			}
			for i := range pix {
				if pix[i] != g.Gray16[i] {
					t.Errorf("%s: pixel %d = %d, want %d", name, i, pix[i], g.Gray16[i])
				}
			}
		}
	}
}

func encodeJPEG(t testing.TB, gray bool) []byte {
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, 16, 8))
		for i := range g.Pix {
			g.Pix[i] = uint8(i * 3)
		}
		img = g
	} else {
		c := image.NewRGBA(image.Rect(0, 0, 16, 8))
		for y := 0; y < 8; y++ {
			for x := 0; x < 16; x++ {
				c.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 32), 128, 255})
			}
		}
		img = c
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeJPEGImage(t *testing.T) {
	for _, gray := range []bool{false, true} {
		img, err := DecodeImage(encodeJPEG(t, gray))
		if err != nil {
			t.Fatal(err)
		}
		if img.W != 16 || img.H != 8 {
			t.Fatalf("size %dx%d", img.W, img.H)
		}
		if !gray {
			// Pixel (15, 7) was (240, 224, 128); JPEG at quality 95 is close.
			o := 3 * (7*16 + 15)
			for c, want := range []int{240, 224, 128} {
				if d := int(img.Pix[o+c]) - want; d < -12 || d > 12 {
					t.Errorf("channel %d = %d, want about %d", c, img.Pix[o+c], want)
				}
			}
		}
	}
}

// TestDecodeErrors is the table of files every decoder must refuse, with
// the error kind each must report.
func TestDecodeErrors(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	label := func(b []byte) error { _, _, _, err := DecodeLabel(b); return err }
	img := func(b []byte) error { _, err := DecodeImage(b); return err }
	g16 := func(b []byte) error { _, _, _, err := DecodeGray16(b); return err }
	for _, tc := range []struct {
		name   string
		data   []byte
		decode func([]byte) error
		want   error
	}{
		{"colour label", read("invalid-color_label.png"), label, ErrFormat},
		{"16-bit label", read("gray16_depth.png"), label, ErrFormat},
		{"jpeg label", encodeJPEG(t, true), label, ErrFormat},
		{"truncated label", read("invalid-truncated.png"), label, ErrCorrupt},
		{"truncated image", read("invalid-truncated.png"), img, ErrCorrupt},
		{"bad crc", read("invalid-crc.png"), img, ErrCorrupt},
		{"huge image", read("invalid-huge.png"), img, ErrTooLarge},
		{"huge label", read("invalid-huge.png"), label, ErrTooLarge},
		{"huge depth", read("invalid-huge.png"), g16, ErrTooLarge},
		{"not an image", read("invalid-notimage.png"), img, ErrCorrupt},
		{"empty", nil, img, ErrCorrupt},
		{"8-bit depth", read("gray8_label.png"), g16, ErrFormat},
		{"rgb depth", read("rgb_image.png"), g16, ErrFormat},
	} {
		err := tc.decode(tc.data)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestReadErrorsNameFile(t *testing.T) {
	p := filepath.Join("testdata", "invalid-truncated.png")
	_, err := ReadImage(p)
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != p || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v", err)
	}
	_, _, _, err = ReadLabel(filepath.Join(t.TempDir(), "nope.png"))
	if !errors.Is(err, ErrMissingFile) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestDecodeLowBitGrayLabel(t *testing.T) {
	// A 1-bit gray PNG whose 4th pixel is 1: image/png expands it to 255,
	// so it must be refused as a label map...
	lowbit := pngChunks(t, 8, 1, 1, 0, [][]byte{{0x10}})
	if _, _, _, err := DecodeLabel(lowbit); !errors.Is(err, ErrFormat) {
		t.Fatalf("1-bit gray label: %v", err)
	}
	// ...but is a fine image.
	if img, err := DecodeImage(lowbit); err != nil || img.Pix[9] != 255 {
		t.Fatalf("1-bit gray image: %v", err)
	}
	// A 1-bit paletted PNG keeps its indices.
	pal := image.NewPaletted(image.Rect(0, 0, 8, 1), color.Palette{color.Black, color.White})
	pal.Pix[2] = 1
	var buf bytes.Buffer
	if err := png.Encode(&buf, pal); err != nil {
		t.Fatal(err)
	}
	if _, _, pix, err := DecodeLabel(buf.Bytes()); err != nil || pix[2] != 1 || pix[3] != 0 {
		t.Fatalf("paletted: %v %v", pix, err)
	}
}

// encodeTIFF returns a small deflate-compressed RGB TIFF (BSB tiles may be
// GeoTIFFs).
func encodeTIFF(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 6, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 11)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, img, &tiff.Options{Compression: tiff.Deflate}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeTIFF(t *testing.T) {
	img, err := DecodeImage(encodeTIFF(t))
	if err != nil {
		t.Fatal(err)
	}
	if img.W != 6 || img.H != 3 || img.Pix[3] != 44 || img.Pix[5] != 66 {
		t.Fatalf("%dx%d %v", img.W, img.H, img.Pix[:6])
	}
}
