package flow

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/tensor"
)

// CropSource draws random crops of inlier pixels from a split, caching
// decoded images up to cacheBudget bytes: the flow's pre-training data,
// and the real images of GAN pre-training (package train/gan).
type CropSource struct {
	split   *dataset.Split
	crop    int
	anomaly int
	cache   map[int]*dataset.Sample
	cached  int
}

// NewCropSource returns a source of crop×crop crops of s.
func NewCropSource(s *dataset.Split, crop int) (*CropSource, error) {
	if s.Len() == 0 {
		return nil, fmt.Errorf("split %s is empty", s.Name)
	}
	return &CropSource{split: s, crop: crop, anomaly: s.Meta.AnomalyLabel, cache: map[int]*dataset.Sample{}}, nil
}

func (c *CropSource) load(i int) (*dataset.Sample, error) {
	if s, ok := c.cache[i]; ok {
		return s, nil
	}
	s, err := c.split.Load(i)
	if err != nil {
		return nil, err
	}
	if s.W() < c.crop || s.H() < c.crop {
		return nil, fmt.Errorf("image %s is %dx%d, smaller than the %d-pixel crop", s.ID, s.W(), s.H(), c.crop)
	}
	if c.cached+len(s.Image.Pix) <= cacheBudget {
		c.cache[i] = s
		c.cached += len(s.Image.Pix)
	}
	return s, nil
}

// pick draws a random crop position free of anomaly pixels.
func (c *CropSource) pick(rng *rand.Rand) (s *dataset.Sample, top, left int, err error) {
	for try := 0; ; try++ {
		if s, err = c.load(rng.IntN(c.split.Len())); err != nil {
			return nil, 0, 0, err
		}
		top, left = rng.IntN(s.H()-c.crop+1), rng.IntN(s.W()-c.crop+1)
		if !c.hasAnomaly(s, top, left) {
			return s, top, left, nil
		}
		if try == maxCropTries {
			return nil, 0, 0, fmt.Errorf("split %s: no anomaly-free %dx%d crop found in %d tries", c.split.Name, c.crop, c.crop, maxCropTries)
		}
	}
}

// Batch returns n crops as 8-bit values in a float32 [n,3,crop,crop]
// tensor. Crops containing anomaly pixels are redrawn; with flip, each crop
// is mirrored horizontally with probability ½.
func (c *CropSource) Batch(n int, flip bool, rng *rand.Rand) (*tensor.Tensor, error) {
	k := c.crop
	out := tensor.New(n, 3, k, k)
	for b := 0; b < n; b++ {
		s, top, left, err := c.pick(rng)
		if err != nil {
			return nil, err
		}
		mirror := flip && rng.IntN(2) == 1
		for y := 0; y < k; y++ {
			for x := 0; x < k; x++ {
				sx := left + x
				if mirror {
					sx = left + k - 1 - x
				}
				p := s.Image.Pix[3*((top+y)*s.W()+sx):]
				for ch := 0; ch < 3; ch++ {
					out.Data[((b*3+ch)*k+y)*k+x] = float32(p[ch])
				}
			}
		}
	}
	return out, nil
}

func (c *CropSource) hasAnomaly(s *dataset.Sample, top, left int) bool {
	if s.Labels == nil {
		return false
	}
	for y := top; y < top+c.crop; y++ {
		for _, v := range s.Labels[y*s.W()+left : y*s.W()+left+c.crop] {
			if int(v) == c.anomaly {
				return true
			}
		}
	}
	return false
}
