package joint

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

func TestSamplePlacementSizes(t *testing.T) {
	s := PatchSizer{Min: 10, Max: 40, Multiple: 8}
	if err := s.Validate(32, 64); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	seenH, seenW := map[int]bool{}, map[int]bool{}
	for range 500 {
		p := SamplePlacement(3, 32, 64, s, rng)
		if p.H%8 != 0 || p.W%8 != 0 || p.H < 16 || p.H > 32 || p.W < 16 || p.W > 40 {
			t.Fatalf("patch %dx%d outside the multiples of 8 in [10,40] clipped to 32x64", p.H, p.W)
		}
		for i := range 3 {
			if p.Top[i] < 0 || p.Left[i] < 0 || p.Top[i]+p.H > 32 || p.Left[i]+p.W > 64 {
				t.Fatalf("patch %dx%d at (%d,%d) leaves the 32x64 image", p.H, p.W, p.Top[i], p.Left[i])
			}
		}
		seenH[p.H], seenW[p.W] = true, true
	}
	if len(seenH) != 3 || len(seenW) != 4 { // {16,24,32} and {16,24,32,40}
		t.Errorf("sizes drawn: heights %v widths %v", seenH, seenW)
	}
	for _, bad := range []PatchSizer{{Min: 0, Max: 8, Multiple: 8}, {Min: 9, Max: 15, Multiple: 8}, {Min: 40, Max: 64, Multiple: 8}} {
		if err := bad.Validate(32, 32); err == nil {
			t.Errorf("%+v accepted for 32x32", bad)
		}
	}
}

// TestPasteMaskLabelsExact checks Eq. 2's mixed image, the mask s and the
// cross-entropy targets pixel by pixel against the definition.
func TestPasteMaskLabelsExact(t *testing.T) {
	const n, c, h, w, k = 3, 3, 12, 20, 4
	rng := rand.New(rand.NewPCG(7, 7))
	base := tensor.New(n, c, h, w)
	for i := range base.Data {
		base.Data[i] = float32(i) // every value distinct
	}
	p := SamplePlacement(n, h, w, PatchSizer{Min: 4, Max: 8, Multiple: 2}, rng)
	p.Top[0], p.Left[0] = 0, 0         // corner
	p.Top[1], p.Left[1] = h-p.H, w-p.W // opposite corner
	patch := tensor.New(n, c, p.H, p.W)
	for i := range patch.Data {
		patch.Data[i] = -1 - float32(i)
	}
	labels := make([]uint8, n*h*w)
	for i := range labels {
		labels[i] = uint8(rng.IntN(k + 2)) // k, k+1 stand for anomaly/ignore
	}
	mixed := Paste(autograd.Const(base), autograd.Const(patch), p).Value
	mask := p.Mask(n, h, w)
	target := MaskLabels(labels, k, n, h, w, p)
	for i := range n {
		for y := range h {
			for x := range w {
				in := y >= p.Top[i] && y < p.Top[i]+p.H && x >= p.Left[i] && x < p.Left[i]+p.W
				pix := (i*h+y)*w + x
				if got := mask[pix] == 1; got != in {
					t.Fatalf("mask at image %d (%d,%d) = %d, inside=%v", i, y, x, mask[pix], in)
				}
				wantLabel := int32(labels[pix])
				if in || labels[pix] >= k {
					wantLabel = IgnoreIndex
				}
				if target[pix] != wantLabel {
					t.Fatalf("target at image %d (%d,%d) = %d, want %d", i, y, x, target[pix], wantLabel)
				}
				for ch := range c {
					want := base.Data[((i*c+ch)*h+y)*w+x]
					if in {
						want = patch.Data[((i*c+ch)*p.H+y-p.Top[i])*p.W+x-p.Left[i]]
					}
					if got := mixed.Data[((i*c+ch)*h+y)*w+x]; got != want {
						t.Fatalf("mixed image %d channel %d (%d,%d) = %v, want %v", i, ch, y, x, got, want)
					}
				}
			}
		}
	}
	// Without negatives only the class filter applies.
	for i, v := range MaskLabels(labels, k, n, h, w, Placement{}) {
		if (labels[i] >= k) != (v == IgnoreIndex) {
			t.Fatalf("no-negative target %d for label %d", v, labels[i])
		}
	}
	// CropEach is the exact inverse of Paste on the windows.
	back := CropEachTensor(mixed, p)
	for i := range back.Data {
		if back.Data[i] != patch.Data[i] {
			t.Fatalf("CropEach(Paste(x, patch)) differs from patch at %d", i)
		}
	}
}

func TestPasteCropEachGradients(t *testing.T) {
	const n, c, h, w = 2, 3, 8, 10
	p := Placement{H: 3, W: 4, Top: []int{1, 5}, Left: []int{0, 6}}
	rng := rand.New(rand.NewPCG(3, 3))
	randT := func(shape ...int) *tensor.Tensor {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		return x
	}
	err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var {
		return CropEach(autograd.Square(Paste(in[0], in[1], p)), Placement{H: 4, W: 5, Top: []int{0, 4}, Left: []int{3, 5}})
	}, []*tensor.Tensor{randT(n, c, h, w), randT(n, c, p.H, p.W)}, 1e-2, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
}
