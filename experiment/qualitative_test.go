package experiment

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/dataset/datasettest"
)

// TestSideBySide builds a data folder with three test images whose
// anomalies have different areas and two predict outputs, and checks that
// the figure shows the two largest anomalies' images (qualitativeImages
// capped by what exists), six tiles per row.
func TestSideBySide(t *testing.T) {
	root := t.TempDir()
	data, closed, nflow := filepath.Join(root, "data"), filepath.Join(root, "closed"), filepath.Join(root, "nflow")
	meta := &dataset.Meta{Name: "t", Classes: []string{"a", "b"}, Colors: [][3]uint8{{10, 20, 30}, {40, 50, 60}}, IgnoreLabel: 255, AnomalyLabel: 254}
	if err := dataset.WriteMeta(data, meta); err != nil {
		t.Fatal(err)
	}
	const w, h = 16, 8
	for i, area := range []int{3, 20, 9} {
		id := []string{"a", "b", "c"}[i]
		lab := image.NewGray(image.Rect(0, 0, w, h))
		for p := range area {
			lab.Pix[p] = 254
		}
		datasettest.WritePNG(t, filepath.Join(data, "test", dataset.LabelsDir, id+".png"), lab)
		datasettest.WritePNG(t, filepath.Join(data, "test", dataset.ImagesDir, id+".png"), image.NewRGBA(image.Rect(0, 0, w, h)))
		for _, d := range []string{closed, nflow} {
			heat := image.NewRGBA(image.Rect(0, 0, w, h+4)) // with a legend strip
			datasettest.WritePNG(t, filepath.Join(d, id+"_ood.png"), heat)
			if d == nflow {
				datasettest.WritePNG(t, filepath.Join(d, id+"_fused.png"), heat)
			}
		}
	}
	out := filepath.Join(root, "fig.png")
	ok, err := sideBySide(data, closed, nflow, out)
	if err != nil || !ok {
		t.Fatalf("sideBySide: %v %v", ok, err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 3 rows (all images, largest anomaly first) of 6 tiles of width 16
	// with 4-pixel gaps; rows as tall as the heatmaps (12).
	if b := img.Bounds(); b.Dx() != 6*w+5*4 || b.Dy() != 3*(h+4)+2*4 {
		t.Fatalf("figure %v", b)
	}
	// First row, ground-truth tile: the largest anomaly (image b, 20 px)
	// fills its first row and 4 pixels of the second in cyan.
	if c := color.RGBAModel.Convert(img.At(w+4+3, 1)).(color.RGBA); c != (color.RGBA{0, 255, 255, 255}) {
		t.Errorf("ground truth pixel %v, want cyan", c)
	}
	if ok, err := sideBySide(data, filepath.Join(root, "none"), nflow, out); ok || err != nil {
		t.Errorf("without predictions: %v %v", ok, err)
	}
}
