package dataset

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func mkdirFor(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
}

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	mkdirFor(t, path)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeGray8(t testing.TB, path string, w, h int, pix []uint8) {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, pix)
	writePNG(t, path, g)
}

func writeGray16(t testing.TB, path string, w, h int, pix []uint16) {
	t.Helper()
	g := image.NewGray16(image.Rect(0, 0, w, h))
	for i, v := range pix {
		g.Pix[2*i], g.Pix[2*i+1] = uint8(v>>8), uint8(v)
	}
	writePNG(t, path, g)
}

// writeRGB writes a w×h RGB PNG whose pixel (x, y) is a function of x, y and
// seed, so that every image of a fixture differs.
func writeRGB(t testing.TB, path string, w, h, seed int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := x*31 + y*17 + seed*101
			img.SetNRGBA(x, y, color.NRGBA{uint8(v), uint8(v * 3), uint8(v*7 + y*x), 255})
		}
	}
	writePNG(t, path, img)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	mkdirFor(t, path)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fill returns n copies of v.
func fill(n int, v uint8) []uint8 {
	p := make([]uint8, n)
	for i := range p {
		p[i] = v
	}
	return p
}

// stripes returns a w×h label map cycling through vals by column.
func stripes(w, h int, vals ...uint8) []uint8 {
	p := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p[y*w+x] = vals[x%len(vals)]
		}
	}
	return p
}

// Generic fixture: 3 classes, 6×4 images; train a,b; val c; test d (with an
// anomaly column) and e; test has depth.
const fxW, fxH = 6, 4

func makeFolder(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := WriteMeta(dir, &Meta{Name: "fx", Classes: []string{"road", "car", "sky"},
		IgnoreLabel: 255, AnomalyLabel: 254}); err != nil {
		t.Fatal(err)
	}
	n := fxW * fxH
	add := func(split, id string, seed int, lab []uint8) {
		writeRGB(t, filepath.Join(dir, split, "images", id+".png"), fxW, fxH, seed)
		writeGray8(t, filepath.Join(dir, split, "labels", id+".png"), fxW, fxH, lab)
	}
	add("train", "a", 1, stripes(fxW, fxH, 0, 1, 2))
	add("train", "b", 2, stripes(fxW, fxH, 0, 0, 255))
	add("val", "c", 3, fill(n, 2))
	add("test", "d", 4, stripes(fxW, fxH, 0, 254, 1))
	add("test", "e", 5, fill(n, 1))
	for _, id := range []string{"d", "e"} {
		dep := make([]uint16, n)
		for i := range dep {
			dep[i] = uint16(100 * i) // centimetres
		}
		writeGray16(t, filepath.Join(dir, "test", "depth", id+".png"), fxW, fxH, dep)
	}
	return dir
}

// pngChunks builds a PNG with the given IHDR fields and unfiltered rows.
func pngChunks(t *testing.T, w, h int, depth, colorType byte, rows [][]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(tag string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(tag)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(tag), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = depth, colorType
	chunk("IHDR", ihdr)
	var raw bytes.Buffer
	zw := zlib.NewWriter(&raw)
	for _, r := range rows {
		zw.Write(append([]byte{0}, r...))
	}
	zw.Close()
	chunk("IDAT", raw.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}
