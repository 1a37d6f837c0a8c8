package ood

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/tensor"
)

// Feature-space scores (Mahalanobis, ViM, kNN) are fitted on a sample of
// labelled training pixels of the pre-logit feature map, and score every
// pixel of that map; the one-channel score map is then upsampled to the
// image as the model upsamples its native logits.

// A NativeFeatureModel exposes its pre-logit features, which lie on the
// native logit grid, and upsamples maps of that grid as it upsamples its
// logits. models/seg's Model implements it.
type NativeFeatureModel interface {
	FeatureModel
	UpsampleNative(x *tensor.Tensor, h, w int) (*tensor.Tensor, error)
}

// A LinearHeadModel's native logits are one 1×1 convolution of its
// features: l = W·f + b with w [K,D] and b [K] (b may be nil). ok is false
// for heads that are not (LR-ASPP's).
type LinearHeadModel interface {
	NativeFeatureModel
	LinearHead() (w, b *tensor.Tensor, ok bool)
}

// DefaultFeatureSamples bounds the training pixels a FeatureSample keeps.
const DefaultFeatureSamples = 1 << 16

// FeatureSample is a uniform random sample (reservoir sampling, seeded) of
// the pre-logit features of labelled inlier training pixels, with their
// classes. A feature pixel takes the label of the image pixel at its
// centre; void and anomaly labels (>= the class count) are skipped.
type FeatureSample struct {
	D, K     int
	Feats    []float32 // len(Class)·D, pixel-major
	Class    []int32
	max      int
	seen     int64
	rng      *rand.Rand
	shapeSet bool
}

// NewFeatureSample returns an empty sample of at most max pixels (<= 0:
// DefaultFeatureSamples) for k classes.
func NewFeatureSample(k, max int, seed uint64) *FeatureSample {
	if max <= 0 {
		max = DefaultFeatureSamples
	}
	return &FeatureSample{K: k, max: max, rng: rand.New(rand.NewPCG(seed, 0x6665_6174))}
}

// Len is the number of sampled pixels.
func (s *FeatureSample) Len() int { return len(s.Class) }

// Add samples from features [N,D,h,w] of an N-image batch whose labels
// (N·H·W, row-major) belong to H×W images.
func (s *FeatureSample) Add(feat *tensor.Tensor, labels []uint8, H, W int) error {
	if feat == nil || feat.Dims() != 4 {
		return fmt.Errorf("ood: feature sample: features of shape %v, want [N,D,h,w]", shapeOf(feat))
	}
	n, d, h, w := feat.NCHW()
	if len(labels) != n*H*W || H < h || W < w {
		return fmt.Errorf("ood: feature sample: %d labels for %d images of %dx%d with features %v", len(labels), n, H, W, feat.Shape)
	}
	if !s.shapeSet {
		s.D, s.shapeSet = d, true
	} else if d != s.D {
		return fmt.Errorf("ood: feature sample: features have %d channels, earlier batches %d", d, s.D)
	}
	hw := h * w
	for img := 0; img < n; img++ {
		for y := 0; y < h; y++ {
			ly := min(H-1, (2*y+1)*H/(2*h))
			for x := 0; x < w; x++ {
				lx := min(W-1, (2*x+1)*W/(2*w))
				c := int(labels[(img*H+ly)*W+lx])
				if c >= s.K {
					continue
				}
				s.seen++
				slot := len(s.Class)
				if slot >= s.max {
					j := s.rng.Int64N(s.seen)
					if j >= int64(s.max) {
						continue
					}
					slot = int(j)
				} else {
					s.Class = append(s.Class, 0)
					s.Feats = append(s.Feats, make([]float32, d)...)
				}
				s.Class[slot] = int32(c)
				dst := s.Feats[slot*d : (slot+1)*d]
				for ch := range dst {
					v := feat.Data[(img*d+ch)*hw+y*w+x]
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						return fmt.Errorf("ood: feature sample: non-finite feature %v (image %d, channel %d)", v, img, ch)
					}
					dst[ch] = v
				}
			}
		}
	}
	return nil
}

// nativeScores runs the feature model on images and returns the N×H×W
// map of per-feature-pixel scores computed by score (on the N×D×(h·w)
// features, writing N·h·w values), upsampled as the model upsamples its
// logits.
func nativeScores(name string, m Model, images *tensor.Tensor, score func(feat *tensor.Tensor, out []float32) error) (*tensor.Tensor, error) {
	nm, ok := m.(NativeFeatureModel)
	if !ok {
		return nil, fmt.Errorf("ood: %s: model %T does not expose pre-logit features and native upsampling", name, m)
	}
	if err := checkImages(name, images); err != nil {
		return nil, err
	}
	feat, err := nm.Features(images)
	if err != nil {
		return nil, fmt.Errorf("ood: %s: features: %w", name, err)
	}
	n, _, fh, fw := feat.NCHW()
	native := tensor.New(n, 1, fh, fw)
	if err := score(feat, native.Data); err != nil {
		return nil, fmt.Errorf("ood: %s: %w", name, err)
	}
	_, _, h, w := images.NCHW()
	up, err := nm.UpsampleNative(native, h, w)
	if err != nil {
		return nil, fmt.Errorf("ood: %s: upsampling: %w", name, err)
	}
	return tensor.FromData(up.Data, n, h, w), nil
}

// checkWidth verifies that features have the fitted channel count.
func checkWidth(feat *tensor.Tensor, d int) error {
	if feat.Dims() != 4 || feat.Shape[1] != d {
		return fmt.Errorf("features of shape %v, fitted on %d channels", feat.Shape, d)
	}
	return nil
}
