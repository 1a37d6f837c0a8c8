package dataset

import "github.com/nflowjs/nflowjs/internal/convention"

// Sample is one decoded example: an image, its label map and, when the
// dataset has one, a depth map, all of the same H×W size.
type Sample struct {
	ID string
	// Image is 8-bit RGB, HWC.
	Image *Image
	// Labels holds H*W row-major values in the generic encoding: 0..K-1 a
	// class, Meta.AnomalyLabel an anomaly, Meta.IgnoreLabel void,
	// Meta.UnknownLabel (if set) an inlier of unannotated class.
	Labels []uint8
	// Depth holds H*W row-major distances in metres, 0 where unknown; nil
	// when the dataset has no depth.
	Depth []float32
	// Source files, for error messages and provenance.
	ImagePath, LabelPath, DepthPath string
}

// W returns the sample's width.
func (s *Sample) W() int { return s.Image.W }

// H returns the sample's height.
func (s *Sample) H() int { return s.Image.H }

// ImageNet statistics on [0, 1] RGB, the normalisation every torchvision
// backbone (and so the DenseNet/LDN models of the paper) is pre-trained with.
var (
	DefaultMean = convention.Mean
	DefaultStd  = convention.Std
)

// CHW returns the image as float32 planes (C=3, then H, then W), normalised
// per channel as (v/255 - mean[c]) / std[c].
func (s *Sample) CHW(mean, std [3]float32) []float32 {
	out := make([]float32, 3*s.Image.W*s.Image.H)
	writeCHW(out, s.Image, mean, std)
	return out
}

// writeCHW normalises img into dst (len 3*W*H) in CHW order.
func writeCHW(dst []float32, img *Image, mean, std [3]float32) {
	n := img.W * img.H
	var scale, shift [3]float32
	for c := 0; c < 3; c++ {
		scale[c] = 1 / (255 * std[c])
		shift[c] = -mean[c] / std[c]
	}
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:3*n]
	p := img.Pix[:3*n]
	for i := 0; i < n; i++ {
		r[i] = float32(p[3*i])*scale[0] + shift[0]
		g[i] = float32(p[3*i+1])*scale[1] + shift[1]
		b[i] = float32(p[3*i+2])*scale[2] + shift[2]
	}
}
