package dataset

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func synthSample(w, h int) *Sample {
	s := &Sample{ID: "s", Image: NewImage(w, h), Labels: make([]uint8, w*h), Depth: make([]float32, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			s.Image.Pix[3*i] = uint8(x * 255 / max(1, w-1))
			s.Image.Pix[3*i+1] = uint8(y * 255 / max(1, h-1))
			s.Image.Pix[3*i+2] = uint8((x * y) % 256)
			s.Labels[i] = uint8((x / 3) % 4) // labels 0..3 in vertical bands
			s.Depth[i] = float32(1 + y)
		}
	}
	return s
}

func TestAugmentIdentity(t *testing.T) {
	s := synthSample(13, 7)
	out := (&Augment{}).Apply(s, rand.New(rand.NewPCG(1, 2)), 255)
	if !bytes.Equal(out.Image.Pix, s.Image.Pix) || !bytes.Equal(out.Labels, s.Labels) {
		t.Fatal("zero Augment changed the sample")
	}
	// Scale 1 and a crop of the full size is also the identity.
	out = (&Augment{MinScale: 1, MaxScale: 1, CropH: 7, CropW: 13}).Apply(s, rand.New(rand.NewPCG(1, 2)), 255)
	if !bytes.Equal(out.Image.Pix, s.Image.Pix) || !bytes.Equal(out.Labels, s.Labels) {
		t.Fatal("scale 1 full crop changed the sample")
	}
}

func TestAugmentFlip(t *testing.T) {
	s := synthSample(9, 5)
	a := &Augment{Flip: true}
	flipped := 0
	for seed := uint64(0); seed < 20; seed++ {
		out := a.Apply(s, rand.New(rand.NewPCG(seed, 0)), 255)
		same := bytes.Equal(out.Labels, s.Labels)
		if !same {
			flipped++
			for y := 0; y < 5; y++ {
				for x := 0; x < 9; x++ {
					if out.Labels[y*9+x] != s.Labels[y*9+8-x] || out.Image.Pix[3*(y*9+x)] != s.Image.Pix[3*(y*9+8-x)] {
						t.Fatalf("pixel %d,%d is not mirrored", x, y)
					}
				}
			}
		}
	}
	if flipped == 0 || flipped == 20 {
		t.Fatalf("flipped %d of 20", flipped)
	}
}

func TestAugmentScaleCrop(t *testing.T) {
	s := synthSample(40, 20)
	a := &Augment{Flip: true, MinScale: 0.5, MaxScale: 2, CropH: 16, CropW: 24, Jitter: 0.3}
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	padded := false
	for seed := uint64(0); seed < 50; seed++ {
		out := a.Apply(s, rand.New(rand.NewPCG(seed, 7)), 255)
		if out.Image.W != 24 || out.Image.H != 16 || len(out.Labels) != 24*16 || len(out.Depth) != 24*16 {
			t.Fatalf("crop size %dx%d", out.Image.W, out.Image.H)
		}
		for i, v := range out.Labels {
			switch {
			case v == 255:
				padded = true
				if out.Depth[i] != 0 || out.Image.Pix[3*i] != 0 {
					t.Fatal("padding must be black with depth 0")
				}
			case v > 3:
				t.Fatalf("nearest-neighbour labels invented value %d", v)
			}
			if d := out.Depth[i]; d != 0 && (d != float32(int(d)) || d < 1 || d > 20) {
				t.Fatalf("depth %g is not a source value", d)
			}
		}
		// Same rng state, same result.
		again := a.Apply(s, rand.New(rand.NewPCG(seed, 7)), 255)
		if !bytes.Equal(again.Image.Pix, out.Image.Pix) || !bytes.Equal(again.Labels, out.Labels) {
			t.Fatal("not deterministic")
		}
	}
	if !padded {
		t.Fatal("scale 0.5 of 40x20 never needed padding for a 24x16 crop")
	}
	if !bytes.Equal(s.Labels, synthSample(40, 20).Labels) {
		t.Fatal("Apply modified its input")
	}
}

func TestAugmentBilinearMidpoint(t *testing.T) {
	// A 2×1 image black|white scaled ×2 gives 0, 64, 191, 255 under the
	// half-pixel convention (PyTorch align_corners=False).
	s := &Sample{Image: &Image{W: 2, H: 1, Pix: []uint8{0, 0, 0, 255, 255, 255}}, Labels: []uint8{1, 2}}
	out := (&Augment{MinScale: 2, MaxScale: 2}).Apply(s, rand.New(rand.NewPCG(0, 0)), 255)
	var got []uint8
	for i := 0; i < out.Image.W; i++ {
		got = append(got, out.Image.Pix[3*i])
	}
	if out.Image.W != 4 || out.Image.H != 2 || !bytes.Equal(got, []uint8{0, 64, 191, 255}) || !bytes.Equal(out.Labels[:4], []uint8{1, 1, 2, 2}) {
		t.Fatalf("got %v labels %v", got, out.Labels)
	}
}

func TestAugmentValidate(t *testing.T) {
	for _, a := range []Augment{
		{MinScale: 2, MaxScale: 1}, {MinScale: 0, MaxScale: 2}, {MinScale: 1, MaxScale: 9},
		{CropH: 4}, {CropH: -1, CropW: -1}, {CropH: 1 << 14, CropW: 1 << 14}, {Jitter: 1}, {Jitter: -0.1},
	} {
		if a.Validate() == nil {
			t.Errorf("%+v accepted", a)
		}
	}
}

// TestColorJitterMatchesSteps checks the fused fixed-point jitter against
// the three steps applied one after the other in float64.
func TestColorJitterMatchesSteps(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	img := NewImage(17, 9)
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	xs := axisMap(17, 0, 17, 17, false)
	ys := axisMap(9, 0, 9, 9, false)
	for _, f := range [][3]float64{{1, 1, 1}, {1.3, 0.8, 1.2}, {0.7, 1.25, 0.6}, {1.1, 1.1, 0}} {
		b, c, s := f[0], f[1], f[2]
		var mean float64
		for i := 0; i < len(img.Pix); i += 3 {
			mean += 0.299*float64(img.Pix[i]) + 0.587*float64(img.Pix[i+1]) + 0.114*float64(img.Pix[i+2])
		}
		mean /= float64(len(img.Pix) / 3)
		got := &Image{W: img.W, H: img.H, Pix: append([]uint8(nil), img.Pix...)}
		colorJitter(got, xs, ys, b, c, s)
		for i := 0; i < len(img.Pix); i += 3 {
			var v [3]float64
			for k := range v {
				v[k] = float64(img.Pix[i+k]) * b // brightness
				v[k] = (v[k]-b*mean)*c + b*mean  // contrast
			}
			g := 0.299*v[0] + 0.587*v[1] + 0.114*v[2]
			for k := range v {
				want := math.Min(255, math.Max(0, (v[k]-g)*s+g)) // saturation
				if d := float64(got.Pix[i+k]) - want; d > 1 || d < -1 {
					t.Fatalf("factors %v pixel %d channel %d: %d, want %.2f", f, i/3, k, got.Pix[i+k], want)
				}
			}
		}
	}
}
