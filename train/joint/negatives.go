package joint

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/models/gan"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Negatives produces the negative patches x⁻ of a training step, already
// normalised like the classifier's input ((v/255 − mean)/std per channel).
type Negatives interface {
	// Patches returns n patches of size h×w as [n,3,h,w]. A flow source
	// returns a graph over the flow's parameters (paper Eq. 2,
	// x⁻ = f⁻¹(z)) unless called inside autograd.NoGrad.
	Patches(n, h, w int, rng *rand.Rand) (*autograd.Var, error)
	// Multiple is the granularity of admissible patch sides.
	Multiple() int
	// Name describes the source for logs.
	Name() string
}

// Normalizer maps images between the classifier's normalised input space
// and the flow's space [-0.5, 0.5] (8-bit value v ↦ ≈ v/256 − 0.5).
type Normalizer struct{ Mean, Std [3]float32 }

// FromFlow maps flow-space images x ∈ [-0.5, 0.5] to classifier inputs
// (x + 0.5 − mean)/std, differentiably (x + 0.5 stands for v/255; the
// 256-vs-255 bin difference is below half a grey level).
func (nz Normalizer) FromFlow(x *autograd.Var) *autograd.Var {
	shift, scale := tensor.New(3), tensor.New(3)
	for c := range 3 {
		shift.Data[c] = 0.5 - nz.Mean[c]
		scale.Data[c] = 1 / nz.Std[c]
	}
	return autograd.MulChannel(autograd.AddChannel(x, autograd.Const(shift)), autograd.Const(scale))
}

// ToBytes maps normalised classifier inputs [N,3,H,W] back to 8-bit values
// (as float32, clamped to 0..255, rounded) — the inlier crops whose
// likelihood the flow maximises are dequantised from these.
func (nz Normalizer) ToBytes(x *tensor.Tensor) *tensor.Tensor {
	n, c, h, w := x.NCHW()
	out := tensor.NewLike(x)
	hw := h * w
	for i := range n {
		for ch := range c {
			m, s := nz.Mean[ch%3], nz.Std[ch%3]
			src := x.Data[(i*c+ch)*hw:][:hw]
			dst := out.Data[(i*c+ch)*hw:][:hw]
			for j, v := range src {
				b := float32(int32((v*s+m)*255 + 0.5))
				dst[j] = min(max(b, 0), 255)
			}
		}
	}
	return out
}

// FromBytes maps 8-bit values [N,3,H,W] (as float32) to classifier inputs.
func (nz Normalizer) FromBytes(x *tensor.Tensor) *tensor.Tensor {
	n, c, h, w := x.NCHW()
	out := tensor.NewLike(x)
	hw := h * w
	for i := range n {
		for ch := range c {
			m, s := nz.Mean[ch%3], nz.Std[ch%3]
			for j, v := range x.Data[(i*c+ch)*hw:][:hw] {
				out.Data[(i*c+ch)*hw+j] = (v/255 - m) / s
			}
		}
	}
	return out
}

// FlowNegatives samples negatives from a normalizing flow (NFlowJS).
type FlowNegatives struct {
	Flow *flow.Flow
	// Temperature scales the latent standard deviation (1 = the model's
	// own distribution, as in the paper).
	Temperature float32
	Norm        Normalizer
	// OutOfRange is the share of the last patches' values that fell
	// outside the image range and were clamped: a flow drifting away from
	// images shows here (logged as flow_out_of_range).
	OutOfRange float64
}

// Patches samples x⁻ = f⁻¹(z), clamps it to the image range and
// normalises it; the result is a graph over the flow's parameters (paper
// Fig. 1: L_neg reaches the flow).
func (s *FlowNegatives) Patches(n, h, w int, rng *rand.Rand) (*autograd.Var, error) {
	x, err := s.Flow.Sample(n, h, w, s.Temperature, rng)
	if err != nil {
		return nil, err
	}
	out := 0
	for _, v := range x.Value.Data {
		if v < -0.5 || v > 0.5 {
			out++
		}
	}
	s.OutOfRange = float64(out) / float64(max(len(x.Value.Data), 1))
	return s.Norm.FromFlow(ClampImage(x)), nil
}

// ClampImage clamps flow-space pixels to the image range [-0.5, 0.5]:
//
//	clamp(x) = x − relu(x − ½) + relu(−½ − x),
//
// with gradient 1 inside the range and 0 outside. A flow's inverse maps
// the Gaussian tails far outside the range (a small pre-trained flow at
// T = 1 produced pixels beyond ±20, i.e. ±90 after normalisation, in
// ~0.3% of pixels); fed to the classifier, such values inflate batch-norm
// statistics and wreck the closed-set accuracy within a few hundred steps.
// A sample that could not be an image cannot be an instructive negative
// either, so the classifier sees the nearest valid image.
func ClampImage(x *autograd.Var) *autograd.Var {
	over := autograd.Relu(autograd.AddScalar(x, -0.5))
	under := autograd.Relu(autograd.AddScalar(autograd.Neg(x), -0.5))
	return autograd.Add(autograd.Sub(x, over), under)
}

// Multiple is the flow's squeeze factor.
func (s *FlowNegatives) Multiple() int { return s.Flow.Config().SqueezeFactor() }

// Name is "flow".
func (s *FlowNegatives) Name() string { return "flow" }

// GANNegatives samples negatives from a pre-trained DCGAN's generator
// (paper Table 8's GAN row; `nflowjs train gan`). The generator is not
// updated in stage 2: its samples are drawn without a graph, as a frozen
// flow's are (the flow trained jointly is NFlowJS's contribution; the
// adversarial joint game of Lee et al. [26] is not reproduced).
type GANNegatives struct {
	GAN  *gan.GAN
	Norm Normalizer
}

// Patches samples G(z) in eval mode (batch norm at its running
// statistics) and normalises it.
func (s *GANNegatives) Patches(n, h, w int, rng *rand.Rand) (*autograd.Var, error) {
	defer autograd.NoGrad()()
	nn.Eval(s.GAN)
	x, err := s.GAN.Sample(n, h, w, rng)
	if err != nil {
		return nil, err
	}
	return autograd.Const(s.Norm.FromFlow(x).Value), nil
}

// Multiple is the generator's stride (8).
func (s *GANNegatives) Multiple() int { return gan.Stride }

// Name is "gan".
func (s *GANNegatives) Name() string { return "gan" }

// NoiseNegatives pastes uniform noise, every channel of every pixel drawn
// from U{0..255} independently (the "noise" ablation).
type NoiseNegatives struct{ Norm Normalizer }

// Patches draws uniform-noise patches.
func (s *NoiseNegatives) Patches(n, h, w int, rng *rand.Rand) (*autograd.Var, error) {
	t := tensor.New(n, 3, h, w)
	for i := range t.Data {
		t.Data[i] = float32(rng.IntN(256))
	}
	return autograd.Const(s.Norm.FromBytes(t)), nil
}

// Multiple is 1: any size.
func (s *NoiseNegatives) Multiple() int { return 1 }

// Name is "noise".
func (s *NoiseNegatives) Name() string { return "noise" }

// RealNegatives cuts patches from a folder of real auxiliary images
// (outlier exposure; the paper's "JSDiv with ADE20k" comparison).
type RealNegatives struct {
	Images []*dataset.Image
	Norm   Normalizer
}

// maxRealImages bounds how many auxiliary images are decoded into memory.
const maxRealImages = 2000

// LoadRealNegatives reads every PNG/JPEG image under dir (recursively, in
// sorted order, at most maxRealImages). Images smaller than minSide on a
// side are upscaled (nearest neighbour) so any patch up to minSide fits.
func LoadRealNegatives(dir string, minSide int, norm Normalizer) (*RealNegatives, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png", ".jpg", ".jpeg":
			if !d.IsDir() {
				paths = append(paths, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("joint: real negatives: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: real negatives: no .png/.jpg images under %s", ErrConfig, dir)
	}
	sort.Strings(paths)
	if len(paths) > maxRealImages {
		paths = paths[:maxRealImages]
	}
	r := &RealNegatives{Norm: norm}
	for _, p := range paths {
		img, err := dataset.ReadImage(p)
		if err != nil {
			return nil, fmt.Errorf("joint: real negatives: %w", err)
		}
		r.Images = append(r.Images, upscaleTo(img, minSide))
	}
	return r, nil
}

// upscaleTo enlarges img by nearest neighbour so both sides are ≥ side.
func upscaleTo(img *dataset.Image, side int) *dataset.Image {
	if img.W >= side && img.H >= side {
		return img
	}
	f := max(float64(side)/float64(img.W), float64(side)/float64(img.H))
	w, h := max(side, int(float64(img.W)*f+0.999)), max(side, int(float64(img.H)*f+0.999))
	out := dataset.NewImage(w, h)
	for y := range h {
		sy := min(img.H-1, y*img.H/h)
		for x := range w {
			sx := min(img.W-1, x*img.W/w)
			copy(out.Pix[3*(y*w+x):3*(y*w+x)+3], img.Pix[3*(sy*img.W+sx):])
		}
	}
	return out
}

// Patches cuts n random h×w windows from random auxiliary images.
func (s *RealNegatives) Patches(n, h, w int, rng *rand.Rand) (*autograd.Var, error) {
	t := tensor.New(n, 3, h, w)
	for i := range n {
		img := s.Images[rng.IntN(len(s.Images))]
		if img.W < w || img.H < h {
			img = upscaleTo(img, max(h, w))
		}
		top, left := rng.IntN(img.H-h+1), rng.IntN(img.W-w+1)
		for y := range h {
			for x := range w {
				px := img.Pix[3*((top+y)*img.W+left+x):]
				for c := range 3 {
					t.Data[((i*3+c)*h+y)*w+x] = float32(px[c])
				}
			}
		}
	}
	return autograd.Const(s.Norm.FromBytes(t)), nil
}

// Multiple is 1: any size.
func (s *RealNegatives) Multiple() int { return 1 }

// Name is "real".
func (s *RealNegatives) Name() string { return "real" }
