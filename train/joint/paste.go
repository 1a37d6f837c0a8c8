package joint

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// PatchSizer draws the side lengths of the rectangular synthetic negatives.
// The paper samples each side from U(16, 216) on 768-pixel road crops and
// from U(16, 64) on 512-pixel aerial images (Section 4.3). A flow can only
// sample sizes divisible by its squeeze factor 2^L, so sides are drawn
// uniformly from the multiples of Multiple inside [Min, Max].
type PatchSizer struct {
	Min, Max int
	// Multiple is the flow's squeeze factor (1 for negatives that are not
	// flow samples).
	Multiple int
}

// sides returns the admissible side lengths in [Min, min(Max, limit)].
func (s PatchSizer) sides(limit int) []int {
	var out []int
	m := max(s.Multiple, 1)
	lo := (s.Min + m - 1) / m * m
	for v := max(lo, m); v <= s.Max && v <= limit; v += m {
		out = append(out, v)
	}
	return out
}

// Validate checks that at least one patch size fits an imgH×imgW image.
func (s PatchSizer) Validate(imgH, imgW int) error {
	if s.Min <= 0 || s.Max < s.Min || s.Multiple <= 0 {
		return fmt.Errorf("%w: patch size range [%d, %d] (multiple %d) must satisfy 0 < min <= max", ErrConfig, s.Min, s.Max, s.Multiple)
	}
	if len(s.sides(imgH)) == 0 || len(s.sides(imgW)) == 0 {
		return fmt.Errorf("%w: no multiple of %d in the patch size range [%d, %d] fits a %dx%d image", ErrConfig, s.Multiple, s.Min, s.Max, imgH, imgW)
	}
	return nil
}

// Placement says where the negatives of one batch go. Every image receives
// a patch of the same H×W (so a single flow call samples them all) at its
// own random location (Top[i], Left[i]).
type Placement struct {
	H, W      int
	Top, Left []int
}

// N is the number of images the placement covers.
func (p Placement) N() int { return len(p.Top) }

// Pixels is the number of pasted pixels in the batch, N·H·W.
func (p Placement) Pixels() int { return p.N() * p.H * p.W }

// SamplePlacement draws a patch size from sizer (height and width
// independently) and a uniformly random location inside each of the n
// imgH×imgW images (paper Eq. 2: "the pasting location is selected
// randomly"). Call PatchSizer.Validate first; SamplePlacement panics if no
// size fits.
func SamplePlacement(n, imgH, imgW int, sizer PatchSizer, rng *rand.Rand) Placement {
	hs, ws := sizer.sides(imgH), sizer.sides(imgW)
	if len(hs) == 0 || len(ws) == 0 {
		panic(fmt.Sprintf("joint.SamplePlacement: no patch size in %+v fits %dx%d", sizer, imgH, imgW))
	}
	p := Placement{H: hs[rng.IntN(len(hs))], W: ws[rng.IntN(len(ws))], Top: make([]int, n), Left: make([]int, n)}
	for i := range n {
		p.Top[i] = rng.IntN(imgH - p.H + 1)
		p.Left[i] = rng.IntN(imgW - p.W + 1)
	}
	return p
}

// check panics unless p fits images of size h×w in a batch of n.
func (p Placement) check(op string, n, h, w int) {
	if p.N() != n {
		panic(fmt.Sprintf("joint.%s: placement for %d images, batch has %d", op, p.N(), n))
	}
	for i := range n {
		if p.H <= 0 || p.W <= 0 || p.Top[i] < 0 || p.Left[i] < 0 || p.Top[i]+p.H > h || p.Left[i]+p.W > w {
			panic(fmt.Sprintf("joint.%s: patch %dx%d at (%d,%d) does not fit a %dx%d image", op, p.H, p.W, p.Top[i], p.Left[i], h, w))
		}
	}
}

// Mask returns the binary negative mask s (paper Eqs. 2-4; m = s) of a
// batch of n h×w images as N·H·W bytes: 1 on pasted pixels, 0 elsewhere.
func (p Placement) Mask(n, h, w int) []uint8 {
	p.check("Mask", n, h, w)
	m := make([]uint8, n*h*w)
	for i := range n {
		for y := p.Top[i]; y < p.Top[i]+p.H; y++ {
			row := m[(i*h+y)*w:]
			for x := p.Left[i]; x < p.Left[i]+p.W; x++ {
				row[x] = 1
			}
		}
	}
	return m
}

// IgnoreIndex marks pixels that cross-entropy skips in the int32 labels
// built by MaskLabels.
const IgnoreIndex int32 = -1

// MaskLabels converts a batch's uint8 labels (N×H×W, generic encoding) to
// cross-entropy targets: classes 0..numClasses-1 stay, every other value
// (ignore, anomaly, unknown) becomes IgnoreIndex, and so does every pasted
// pixel — their labels are not used (paper Eq. 3 sums the cross-entropy
// over m = 0 only). A zero-size placement (no negatives) masks nothing.
func MaskLabels(labels []uint8, numClasses, n, h, w int, p Placement) []int32 {
	if len(labels) != n*h*w {
		panic(fmt.Sprintf("joint.MaskLabels: %d labels for %dx%dx%d", len(labels), n, h, w))
	}
	out := make([]int32, len(labels))
	for i, v := range labels {
		if int(v) < numClasses {
			out[i] = int32(v)
		} else {
			out[i] = IgnoreIndex
		}
	}
	if p.N() == 0 {
		return out
	}
	p.check("MaskLabels", n, h, w)
	for i := range n {
		for y := p.Top[i]; y < p.Top[i]+p.H; y++ {
			row := out[(i*h+y)*w:]
			for x := p.Left[i]; x < p.Left[i]+p.W; x++ {
				row[x] = IgnoreIndex
			}
		}
	}
	return out
}

// Paste builds the mixed-content batch of paper Eq. 2,
//
//	x' = (1 − s)·x⁺ + pad(x⁻, s),
//
// from inliers base [N,C,H,W] and negatives patch [N,C,p.H,p.W]: patch i
// replaces the p.H×p.W window of image i at (p.Top[i], p.Left[i]). The
// result is differentiable with respect to both inputs: base receives the
// gradient outside the windows, patch the gradient inside them — the path
// by which the classifier's L_neg reaches the flow (paper Fig. 1).
func Paste(base, patch *autograd.Var, p Placement) *autograd.Var {
	n, c, h, w := base.Value.NCHW()
	pn, pc, ph, pw := patch.Value.NCHW()
	if pn != n || pc != c || ph != p.H || pw != p.W {
		panic(fmt.Sprintf("joint.Paste: patch %v for base %v and placement %dx%d", patch.Value.Shape, base.Value.Shape, p.H, p.W))
	}
	p.check("Paste", n, h, w)
	out := base.Value.Clone()
	copyWindows(out.Data, patch.Value.Data, n, c, h, w, p, true)
	return autograd.NewOp(out, func(g *tensor.Tensor) {
		if base.RequiresGrad() {
			gb := g.Clone()
			zero := tensor.New(n, c, p.H, p.W)
			copyWindows(gb.Data, zero.Data, n, c, h, w, p, true)
			base.AccumGrad(gb)
		}
		if patch.RequiresGrad() {
			gp := tensor.New(n, c, p.H, p.W)
			copyWindows(g.Data, gp.Data, n, c, h, w, p, false)
			patch.AccumGrad(gp)
		}
	}, base, patch)
}

// CropEach returns the p.H×p.W window of every image of x [N,C,H,W] at its
// own location, as [N,C,p.H,p.W]; the gradient is scattered back into the
// windows. It selects the pasted pixels' logits for L_neg.
func CropEach(x *autograd.Var, p Placement) *autograd.Var {
	n, c, h, w := x.Value.NCHW()
	p.check("CropEach", n, h, w)
	out := tensor.New(n, c, p.H, p.W)
	copyWindows(x.Value.Data, out.Data, n, c, h, w, p, false)
	return autograd.NewOp(out, func(g *tensor.Tensor) {
		gx := tensor.New(n, c, h, w)
		copyWindows(gx.Data, g.Data, n, c, h, w, p, true)
		x.AccumGrad(gx)
	}, x)
}

// CropEachTensor is CropEach on a plain tensor.
func CropEachTensor(x *tensor.Tensor, p Placement) *tensor.Tensor {
	n, c, h, w := x.NCHW()
	p.check("CropEachTensor", n, h, w)
	out := tensor.New(n, c, p.H, p.W)
	copyWindows(x.Data, out.Data, n, c, h, w, p, false)
	return out
}

// copyWindows moves data between the windows of big [N,C,H,W] and the
// packed patches small [N,C,p.H,p.W]: into big if toBig, else out of it.
func copyWindows(big, small []float32, n, c, h, w int, p Placement, toBig bool) {
	for i := range n {
		for ch := range c {
			for y := range p.H {
				b := big[((i*c+ch)*h+p.Top[i]+y)*w+p.Left[i]:][:p.W]
				s := small[((i*c+ch)*p.H+y)*p.W:][:p.W]
				if toBig {
					copy(b, s)
				} else {
					copy(s, b)
				}
			}
		}
	}
}
