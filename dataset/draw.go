package dataset

import (
	"image"
	"image/png"
	"io"
)

// Colours used for the non-class labels when drawing.
var (
	AnomalyColor = [3]uint8{0, 255, 255} // cyan, as the paper's Figure 7
	IgnoreColor  = [3]uint8{0, 0, 0}
	UnknownColor = [3]uint8{96, 96, 96}
)

// Palette returns one colour per class: Meta.Colors if given, else the
// Cityscapes palette, extended with evenly spread hues for more classes.
func Palette(m *Meta) [][3]uint8 {
	if len(m.Colors) == len(m.Classes) {
		return m.Colors
	}
	p := make([][3]uint8, len(m.Classes))
	for k := range p {
		if k < len(CityscapesColors) {
			p[k] = CityscapesColors[k]
			continue
		}
		// Golden-angle hue steps keep neighbouring ids distinguishable.
		h := float64(k) * 137.508
		p[k] = hsv(h-360*float64(int(h/360)), 0.65, 0.9)
	}
	return p
}

func hsv(h, s, v float64) [3]uint8 {
	c := v * s
	hp := h / 60
	x := c * (1 - abs(hp-2*float64(int(hp/2))-1))
	var r, g, b float64
	switch int(hp) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	mm := v - c
	return [3]uint8{uint8(255 * (r + mm)), uint8(255 * (g + mm)), uint8(255 * (b + mm))}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// ColorLabels draws a label map with the palette of m; anomalies are cyan,
// void is black, unknown inliers are gray.
func ColorLabels(labels []uint8, w, h int, m *Meta) *Image {
	pal := Palette(m)
	var lut [256][3]uint8
	for v := range lut {
		lut[v] = [3]uint8{255, 0, 255} // undeclared values show magenta
	}
	copy(lut[:], pal)
	lut[m.IgnoreLabel] = IgnoreColor
	lut[m.AnomalyLabel] = AnomalyColor
	if m.UnknownLabel != 0 {
		lut[m.UnknownLabel] = UnknownColor
	}
	out := NewImage(w, h)
	for i, v := range labels[:w*h] {
		c := lut[v]
		out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = c[0], c[1], c[2]
	}
	return out
}

// AnomalyMask draws anomalies white, void dark gray and inliers black.
func AnomalyMask(labels []uint8, w, h int, m *Meta) *Image {
	out := NewImage(w, h)
	for i, v := range labels[:w*h] {
		var c uint8
		switch int(v) {
		case m.AnomalyLabel:
			c = 255
		case m.IgnoreLabel:
			c = 64
		}
		out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = c, c, c
	}
	return out
}

// Grid draws one row per sample: image | coloured labels | anomaly mask,
// each panel resized to panelW pixels wide (keeping the aspect ratio of the
// first sample), separated by a 4-pixel white gutter.
func Grid(samples []*Sample, m *Meta, panelW int) *Image {
	if len(samples) == 0 || panelW <= 0 {
		return NewImage(1, 1)
	}
	const gap = 4
	panelH := max(1, samples[0].H()*panelW/samples[0].W())
	out := NewImage(3*panelW+2*gap, len(samples)*panelH+(len(samples)-1)*gap)
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for r, s := range samples {
		img := resizeImage(s.Image, panelW, panelH, true)
		col := resizeImage(ColorLabels(s.Labels, s.W(), s.H(), m), panelW, panelH, false)
		msk := resizeImage(AnomalyMask(s.Labels, s.W(), s.H(), m), panelW, panelH, false)
		y0 := r * (panelH + gap)
		for p, panel := range []*Image{img, col, msk} {
			x0 := p * (panelW + gap)
			for y := 0; y < panelH; y++ {
				copy(out.Pix[3*((y0+y)*out.W+x0):], panel.Pix[3*y*panelW:3*(y+1)*panelW])
			}
		}
	}
	return out
}

// resizeImage resizes bilinearly (smooth) or by nearest neighbour.
func resizeImage(src *Image, w, h int, smooth bool) *Image {
	xs := axisMap(w, 0, w, src.W, false)
	ys := axisMap(h, 0, h, src.H, false)
	out := NewImage(w, h)
	for y := 0; y < h; y++ {
		ry := ys[y]
		for x := 0; x < w; x++ {
			rx := xs[x]
			o := 3 * (y*w + x)
			if !smooth {
				copy(out.Pix[o:o+3], src.Pix[3*(ry.n*src.W+rx.n):])
				continue
			}
			for c := 0; c < 3; c++ {
				p00 := float32(src.Pix[3*(ry.i0*src.W+rx.i0)+c])
				p01 := float32(src.Pix[3*(ry.i0*src.W+rx.i1)+c])
				p10 := float32(src.Pix[3*(ry.i1*src.W+rx.i0)+c])
				p11 := float32(src.Pix[3*(ry.i1*src.W+rx.i1)+c])
				top := p00 + (p01-p00)*rx.f
				bot := p10 + (p11-p10)*rx.f
				out.Pix[o+c] = uint8(top + (bot-top)*ry.f + 0.5)
			}
		}
	}
	return out
}

// ToRGBA converts to a standard library image for encoding.
func (img *Image) ToRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		copy(out.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out
}

// EncodePNG writes img as an 8-bit RGB(A) PNG.
func EncodePNG(w io.Writer, img *Image) error {
	return png.Encode(w, img.ToRGBA())
}
