package synth

import (
	"image"
	"math"
)

// Label values shared by all image generators, matching the dataset
// package's defaults.
const (
	AnomalyLabel = 254
	VoidLabel    = 255
)

// Sample is one rendered scene.
type Sample struct {
	Image *image.RGBA   // opaque RGB
	Label *image.Gray   // class ids, AnomalyLabel, VoidLabel
	Depth *image.Gray16 // centimetres along the optical axis, 0 = unknown; nil for aerial
	// Anomalies lists the category of every anomalous object, in drawing order.
	Anomalies []string
}

// toSample converts a finished canvas to images. depth is nil when the
// generator has no depth.
func toSample(c *canvas, pix []uint8, withDepth bool) *Sample {
	s := &Sample{
		Image: image.NewRGBA(image.Rect(0, 0, c.w, c.h)),
		Label: image.NewGray(image.Rect(0, 0, c.w, c.h)),
	}
	for i := 0; i < c.w*c.h; i++ {
		s.Image.Pix[4*i] = pix[3*i]
		s.Image.Pix[4*i+1] = pix[3*i+1]
		s.Image.Pix[4*i+2] = pix[3*i+2]
		s.Image.Pix[4*i+3] = 255
	}
	copy(s.Label.Pix, c.lab)
	if withDepth {
		s.Depth = image.NewGray16(image.Rect(0, 0, c.w, c.h))
		for i, z := range c.z {
			var v uint16
			if c.lab[i] != VoidLabel && !math.IsInf(z, 0) && z > 0 {
				v = uint16(math.Min(65535, math.Round(z*100)))
			}
			s.Depth.Pix[2*i] = uint8(v >> 8)
			s.Depth.Pix[2*i+1] = uint8(v)
		}
	}
	return s
}
