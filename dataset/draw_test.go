package dataset

import (
	"bytes"
	"image/png"
	"testing"
)

func TestGrid(t *testing.T) {
	m := &Meta{Classes: []string{"a", "b"}, IgnoreLabel: 255, AnomalyLabel: 254, UnknownLabel: 253}
	s := &Sample{Image: NewImage(4, 2), Labels: []uint8{0, 1, 254, 255, 253, 0, 1, 254}}
	g := Grid([]*Sample{s, s}, m, 8)
	// Panels 8×4 (aspect 2:1), three per row with 4-pixel gutters, two rows.
	if g.W != 3*8+2*4 || g.H != 2*4+4 {
		t.Fatalf("grid %dx%d", g.W, g.H)
	}
	col := ColorLabels(s.Labels, 4, 2, m)
	at := func(img *Image, i int) [3]uint8 { return [3]uint8{img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2]} }
	if at(col, 0) != CityscapesColors[0] || at(col, 2) != AnomalyColor || at(col, 3) != IgnoreColor || at(col, 4) != UnknownColor {
		t.Fatalf("colours %v", col.Pix)
	}
	msk := AnomalyMask(s.Labels, 4, 2, m)
	if msk.Pix[3*2] != 255 || msk.Pix[0] != 0 || msk.Pix[3*3] != 64 {
		t.Fatalf("mask %v", msk.Pix)
	}
	m.Colors = [][3]uint8{{1, 2, 3}, {4, 5, 6}}
	if at(ColorLabels(s.Labels, 4, 2, m), 1) != [3]uint8{4, 5, 6} {
		t.Fatal("Meta.Colors not used")
	}
	var buf bytes.Buffer
	if err := EncodePNG(&buf, g); err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(&buf); err != nil || cfg.Width != g.W {
		t.Fatalf("png %v %v", cfg, err)
	}
	// Many classes: palette entries beyond Cityscapes' 19 are distinct.
	big := &Meta{Classes: make([]string, 40)}
	p := Palette(big)
	seen := map[[3]uint8]bool{}
	for _, c := range p {
		seen[c] = true
	}
	if len(seen) != 40 {
		t.Fatalf("%d distinct colours for 40 classes", len(seen))
	}
}
