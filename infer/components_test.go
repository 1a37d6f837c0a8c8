package infer

import (
	"math"
	"testing"
)

func TestComponents(t *testing.T) {
	// 0 = off. Three 8-connected regions: an L of 4 pixels joined through
	// a diagonal, a 2-pixel bar, and a single pixel; the U shape (A) only
	// becomes one region through union of two provisional labels.
	const w, h = 7, 5
	grid := []string{
		"A.A..B.",
		"A.A..B.",
		".A.....",
		"......C",
		"DD.....",
	}
	mask := make([]bool, w*h)
	scores := make([]float32, w*h)
	for y, row := range grid {
		for x, ch := range row {
			if ch != '.' {
				mask[y*w+x] = true
				scores[y*w+x] = float32(y*w + x)
			}
		}
	}
	got, total := components(mask, scores, w, h, 10)
	if total != 4 {
		t.Fatalf("%d components, want 4: %+v", total, got)
	}
	want := []Component{
		{ID: 1, Pixels: 5, BBox: [4]int{0, 0, 2, 2}},
		{ID: 2, Pixels: 2, BBox: [4]int{5, 0, 5, 1}},
		{ID: 3, Pixels: 2, BBox: [4]int{0, 4, 1, 4}},
		{ID: 4, Pixels: 1, BBox: [4]int{6, 3, 6, 3}},
	}
	for i, c := range got {
		if c.ID != want[i].ID || c.Pixels != want[i].Pixels || c.BBox != want[i].BBox {
			t.Errorf("component %d = %+v, want %+v", i, c, want[i])
		}
	}
	// A: pixels 0, 7, 2, 9, 15 -> mean 6.6, max 15, centroid x (0+0+2+2+1)/5.
	if a := got[0]; math.Abs(a.MeanScore-6.6) > 1e-9 || a.MaxScore != 15 || a.Centroid != [2]float64{1, 0.8} {
		t.Errorf("A stats %+v", a)
	}
	got, total = components(mask, scores, w, h, 2)
	if total != 4 || len(got) != 2 {
		t.Errorf("cap: %d of %d", len(got), total)
	}
	if got, total := components(make([]bool, 6), make([]float32, 6), 3, 2, 5); total != 0 || len(got) != 0 {
		t.Errorf("empty mask: %v %d", got, total)
	}
}

// Inferno is perceptually ordered: its luminance rises strictly, from
// near black to pale yellow, matching matplotlib's end points.
func TestInferno(t *testing.T) {
	lum := func(c [3]uint8) float64 {
		lin := func(v uint8) float64 {
			s := float64(v) / 255
			if s <= 0.04045 {
				return s / 12.92
			}
			return math.Pow((s+0.055)/1.055, 2.4)
		}
		return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
	}
	prev := -1.0
	for i := 0; i < 256; i += 4 {
		l := lum(Inferno(float64(i) / 255))
		if l <= prev {
			t.Fatalf("luminance not increasing at %d: %v <= %v", i, l, prev)
		}
		prev = l
	}
	// matplotlib: inferno(0) = (0, 0, 4), inferno(1) = (252, 255, 164).
	near := func(a, b [3]uint8) bool {
		for i := range a {
			if d := int(a[i]) - int(b[i]); d < -5 || d > 5 {
				return false
			}
		}
		return true
	}
	if c := Inferno(0); !near(c, [3]uint8{0, 0, 4}) {
		t.Errorf("inferno(0) = %v", c)
	}
	if c := Inferno(1); !near(c, [3]uint8{252, 255, 164}) {
		t.Errorf("inferno(1) = %v", c)
	}
	if c := Inferno(math.NaN()); c != Inferno(0) {
		t.Errorf("NaN -> %v", c)
	}
}
