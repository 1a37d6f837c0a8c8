package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Augment describes the training-time augmentation of the paper's setup
// (random scale, horizontal flip, random crop). The zero value does nothing.
type Augment struct {
	// Flip mirrors the sample horizontally with probability 1/2.
	Flip bool
	// MinScale and MaxScale bound a uniformly drawn resize factor (the paper
	// uses [0.5, 2]); both 0 disables scaling. Images are resized
	// bilinearly, labels and depth by nearest neighbour so that no new
	// label values (or mixed depths) appear.
	MinScale, MaxScale float64
	// CropH and CropW give a random crop of this size (0 = no crop). Where
	// the scaled sample is smaller than the crop it is padded: image with
	// black, labels with the ignore label, depth with 0 (unknown).
	CropH, CropW int
	// Jitter, if > 0, multiplies brightness, contrast and saturation by
	// factors drawn from [1-Jitter, 1+Jitter] (torchvision ColorJitter style).
	Jitter float64
}

// Validate checks the settings.
func (a *Augment) Validate() error {
	if a.MinScale < 0 || a.MaxScale < a.MinScale || (a.MinScale == 0) != (a.MaxScale == 0) {
		return fmt.Errorf("dataset: augment: scale range [%g, %g] must be 0,0 or 0 < min <= max", a.MinScale, a.MaxScale)
	}
	if a.MaxScale > 8 {
		return fmt.Errorf("dataset: augment: max scale %g above 8", a.MaxScale)
	}
	if a.CropH < 0 || a.CropW < 0 || (a.CropH == 0) != (a.CropW == 0) {
		return fmt.Errorf("dataset: augment: crop %dx%d must be 0x0 or positive", a.CropH, a.CropW)
	}
	if int64(a.CropH)*int64(a.CropW) > MaxPixels {
		return fmt.Errorf("dataset: augment: crop %dx%d exceeds %d pixels", a.CropH, a.CropW, MaxPixels)
	}
	if a.Jitter < 0 || a.Jitter >= 1 {
		return fmt.Errorf("dataset: augment: jitter %g must be in [0, 1)", a.Jitter)
	}
	return nil
}

// Apply returns an augmented copy of s; s is not modified. All randomness
// comes from rng, drawn in a fixed order, so the same rng state always gives
// the same result. ignore is the label used for padding.
//
// Scale, flip and crop are fused into one resampling pass that computes only
// the pixels inside the crop window: with a crop of 256×512 from an image
// scaled up to 2×, this avoids building the full enlarged image.
func (a *Augment) Apply(s *Sample, rng *rand.Rand, ignore uint8) *Sample {
	w, h := s.Image.W, s.Image.H
	scale := 1.0
	if a.MaxScale > 0 {
		scale = a.MinScale + (a.MaxScale-a.MinScale)*rng.Float64()
	}
	flip := a.Flip && rng.IntN(2) == 1
	if a.CropW == 0 && float64(w)*float64(h)*scale*scale > MaxPixels {
		// Without a crop the output is the whole scaled image; keep it
		// within the size limit every decoded image obeys.
		scale = math.Sqrt(MaxPixels / (float64(w) * float64(h)))
	}
	sw := max(1, int(math.Round(float64(w)*scale)))
	sh := max(1, int(math.Round(float64(h)*scale)))
	ow, oh := sw, sh
	ox, oy := 0, 0 // crop origin in scaled coordinates; negative = padding
	if a.CropW > 0 {
		ow, oh = a.CropW, a.CropH
		ox = cropOrigin(sw, ow, rng)
		oy = cropOrigin(sh, oh, rng)
	}
	var jb, jc, js float64
	if a.Jitter > 0 {
		jb = 1 + a.Jitter*(2*rng.Float64()-1)
		jc = 1 + a.Jitter*(2*rng.Float64()-1)
		js = 1 + a.Jitter*(2*rng.Float64()-1)
	}

	// Per output column / row: the scaled coordinate, whether it is inside
	// the scaled image, and the source coordinates for both samplers.
	sxs := axisMap(ow, ox, sw, w, flip)
	sys := axisMap(oh, oy, sh, h, false)

	out := &Sample{ID: s.ID, ImagePath: s.ImagePath, LabelPath: s.LabelPath, DepthPath: s.DepthPath}
	out.Image = NewImage(ow, oh)
	out.Labels = make([]uint8, ow*oh)
	if s.Depth != nil {
		out.Depth = make([]float32, ow*oh)
	}
	src := s.Image.Pix
	for y := 0; y < oh; y++ {
		ry := &sys[y]
		orow := out.Image.Pix[3*y*ow : 3*(y+1)*ow]
		lrow := out.Labels[y*ow : (y+1)*ow]
		if !ry.in {
			for x := range lrow {
				lrow[x] = ignore
			}
			continue // image row stays black, depth 0
		}
		r0 := src[3*ry.i0*w : 3*(ry.i0+1)*w]
		r1 := src[3*ry.i1*w : 3*(ry.i1+1)*w]
		lsrc := s.Labels[ry.n*w : (ry.n+1)*w]
		wy := ry.wi
		wy0 := 256 - wy
		for x := 0; x < ow; x++ {
			rx := &sxs[x]
			if !rx.in {
				lrow[x] = ignore
				continue
			}
			// Fixed-point bilinear: weights in 1/256, result rounded;
			// 255·256·256 fits in uint32.
			a0, a1 := 3*rx.i0, 3*rx.i1
			wx := rx.wi
			wx0 := 256 - wx
			for c := 0; c < 3; c++ {
				top := uint32(r0[a0+c])*wx0 + uint32(r0[a1+c])*wx
				bot := uint32(r1[a0+c])*wx0 + uint32(r1[a1+c])*wx
				orow[3*x+c] = uint8((top*wy0 + bot*wy + 1<<15) >> 16)
			}
			lrow[x] = lsrc[rx.n]
			if out.Depth != nil {
				out.Depth[y*ow+x] = s.Depth[ry.n*w+rx.n]
			}
		}
	}
	if a.Jitter > 0 {
		colorJitter(out.Image, sxs, sys, jb, jc, js)
	}
	return out
}

// cropOrigin draws the crop start along an axis of scaled length n for a
// crop of length c: uniform over valid starts, or a centred-random negative
// offset (padding) when the crop is larger than the image.
func cropOrigin(n, c int, rng *rand.Rand) int {
	if n >= c {
		return rng.IntN(n - c + 1)
	}
	return -rng.IntN(c - n + 1)
}

// axisSample says how one output coordinate reads the source: bilinear
// between i0 and i1 with weight f on i1, nearest neighbour n.
type axisSample struct {
	in     bool
	i0, i1 int
	f      float32 // weight of i1 in [0, 1)
	wi     uint32  // f in 1/256 steps, for fixed-point interpolation
	n      int
}

// axisMap maps out output coordinates, offset by origin in a scaled axis of
// length scaled, back to a source axis of length src (half-pixel centres,
// as PyTorch's align_corners=False).
func axisMap(out, origin, scaled, src int, flip bool) []axisSample {
	m := make([]axisSample, out)
	ratio := float64(src) / float64(scaled)
	for i := range m {
		s := i + origin
		if s < 0 || s >= scaled {
			continue
		}
		if flip {
			s = scaled - 1 - s
		}
		c := (float64(s)+0.5)*ratio - 0.5
		if c < 0 {
			c = 0
		}
		i0 := int(c)
		if i0 > src-1 {
			i0 = src - 1
		}
		i1 := min(i0+1, src-1)
		n := min(int((float64(s)+0.5)*ratio), src-1)
		f := c - float64(i0)
		m[i] = axisSample{in: true, i0: i0, i1: i1, f: float32(f), wi: uint32(f*256 + 0.5), n: n}
	}
	return m
}

// colorJitter scales brightness (factor b), then contrast around the mean
// gray level (c), then saturation around each pixel's gray level (s), the
// order of torchvision's ColorJitter. Only pixels inside the scaled image
// (xs[x].in && ys[y].in) change: padding stays black.
//
// The three steps compose into one affine map per pixel. With v a channel
// value, g(v) = 0.299r + 0.587g + 0.114b its gray level and m the mean gray
// level of the image:
//
//	brightness  v1 = b·v
//	contrast    v2 = c·v1 + (1-c)·b·m
//	saturation  v3 = s·v2 + (1-s)·g(v2) = s·c·b·v + (1-s)·c·b·g(v) + (1-c)·b·m
//
// which is evaluated with fixed-point lookup tables (scale 1/1024).
func colorJitter(img *Image, xs, ys []axisSample, b, c, s float64) {
	p := img.Pix
	var sum uint64
	n := 0
	for y := range ys {
		if !ys[y].in {
			continue
		}
		row := p[3*y*img.W : 3*(y+1)*img.W]
		for x := range xs {
			if xs[x].in {
				sum += 299*uint64(row[3*x]) + 587*uint64(row[3*x+1]) + 114*uint64(row[3*x+2])
				n++
			}
		}
	}
	mean := float64(sum) / 1000 / float64(max(1, n))
	const one = 1024
	A := s * c * b
	B := (1 - s) * c * b
	C := int32((1-c)*b*mean*one + one/2) // + 1/2: round to nearest on >> 10
	var la, lr, lg, lb [256]int32
	for v := range la {
		fv := float64(v)
		la[v] = int32(A * fv * one)
		lr[v] = int32(B * 0.299 * fv * one)
		lg[v] = int32(B * 0.587 * fv * one)
		lb[v] = int32(B * 0.114 * fv * one)
	}
	for y := range ys {
		if !ys[y].in {
			continue
		}
		row := p[3*y*img.W : 3*(y+1)*img.W]
		for x := range xs {
			if !xs[x].in {
				continue
			}
			px := row[3*x : 3*x+3]
			g := lr[px[0]] + lg[px[1]] + lb[px[2]] + C
			px[0] = clampFixed(la[px[0]] + g)
			px[1] = clampFixed(la[px[1]] + g)
			px[2] = clampFixed(la[px[2]] + g)
		}
	}
}

// clampFixed converts a 1/1024 fixed-point value to a saturated uint8.
func clampFixed(v int32) uint8 {
	v >>= 10
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// sampleRNG derives the random stream of one sample in one epoch. Mixing
// seed, epoch and dataset index (not the worker or the position in the
// batch) is what makes crops independent of the worker count and order.
func sampleRNG(seed uint64, epoch, index int) *rand.Rand {
	a := splitmix64(seed ^ splitmix64(uint64(epoch)+0x9e3779b97f4a7c15))
	b := splitmix64(a ^ uint64(index)*0xbf58476d1ce4e5b9)
	return rand.New(rand.NewPCG(a, b))
}

// splitmix64 is the SplitMix64 finaliser (Steele, Lea & Flood 2014), a
// cheap bijective hash used to decorrelate seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
