package infer

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/nflowjs/nflowjs/dataset"
)

// Layer names a picture of a Result.
type Layer string

// The layers a Result can draw.
const (
	// LayerSeg is the closed-set segmentation in the class palette.
	LayerSeg Layer = "seg"
	// LayerOOD is the anomaly-score heatmap (inferno colour map, bright =
	// anomalous) with a legend strip below giving the colour range.
	LayerOOD Layer = "ood"
	// LayerFused is the outlier-aware segmentation: classes in the
	// palette, anomalies in AnomalyColor (paper Figure 7). Needs a
	// threshold.
	LayerFused Layer = "fused"
	// LayerOverlay blends the fused segmentation (or the closed-set one
	// without a threshold) over the input, anomalies nearly opaque.
	LayerOverlay Layer = "overlay"
	// LayerScore is the score map quantised to 8-bit gray over
	// Summary.ScoreRange, for clients that re-threshold themselves.
	LayerScore Layer = "score"
)

// Layers lists every layer in display order.
var Layers = []Layer{LayerSeg, LayerOOD, LayerFused, LayerOverlay, LayerScore}

// ParseLayer returns the Layer named s.
func ParseLayer(s string) (Layer, error) {
	for _, l := range Layers {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("infer: unknown layer %q (have seg, ood, fused, overlay, score)", s)
}

// AnomalyColor is the colour of anomalous pixels (cyan, as in the paper's
// Figure 7).
var AnomalyColor = dataset.AnomalyColor

// Overlay opacities: classes stay translucent so the scene is readable,
// anomalies are nearly opaque so they stand out.
const (
	overlayClassAlpha   = 0.45
	overlayAnomalyAlpha = 0.85
)

// legendHeight is the height of the heatmap's legend strip: a colour bar
// and the range printed in a 7x13 bitmap font.
const legendHeight = 18

// ErrNoThreshold is returned when the fused layer is asked for without a
// threshold.
var ErrNoThreshold = fmt.Errorf("infer: no threshold: the fused layer needs a calibrated or given threshold")

// Image draws layer l.
func (r *Result) Image(l Layer) (*dataset.Image, error) {
	w, h := r.Input.W, r.Input.H
	switch l {
	case LayerSeg:
		return dataset.ColorLabels(r.Labels, w, h, &r.p.meta), nil
	case LayerFused:
		if r.Fused == nil {
			return nil, ErrNoThreshold
		}
		return dataset.ColorLabels(r.Fused, w, h, &r.p.meta), nil
	case LayerOOD:
		return r.heatmap(), nil
	case LayerOverlay:
		return r.overlay(), nil
	case LayerScore:
		out := dataset.NewImage(w, h)
		for i, q := range r.quantised() {
			out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = q, q, q
		}
		return out, nil
	}
	return nil, fmt.Errorf("infer: unknown layer %q", l)
}

// PNG encodes layer l. The score layer is written as 8-bit gray.
func (r *Result) PNG(l Layer) ([]byte, error) {
	var b bytes.Buffer
	if l == LayerScore {
		g := image.NewGray(image.Rect(0, 0, r.Input.W, r.Input.H))
		copy(g.Pix, r.quantised())
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&b, g); err != nil {
			return nil, fmt.Errorf("infer: encode %s: %w", l, err)
		}
		return b.Bytes(), nil
	}
	img, err := r.Image(l)
	if err != nil {
		return nil, err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, rgbImage(img)); err != nil {
		return nil, fmt.Errorf("infer: encode %s: %w", l, err)
	}
	return b.Bytes(), nil
}

// rgbImage wraps a dataset.Image as an opaque NRGBA (PNG then stores RGB).
func rgbImage(img *dataset.Image) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, img.W, img.H))
	for i := 0; i < img.W*img.H; i++ {
		copy(out.Pix[4*i:4*i+3], img.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out
}

// normalised maps score v into [0, 1] over r.Range (NaN → 0).
func (r *Result) normalised(v float32) float64 {
	lo, hi := float64(r.Range[0]), float64(r.Range[1])
	t := (float64(v) - lo) / (hi - lo)
	if !(t > 0) {
		return 0
	}
	return min(t, 1)
}

// quantised returns round(255·normalised(score)) per pixel.
func (r *Result) quantised() []uint8 {
	q := make([]uint8, len(r.Scores))
	for i, v := range r.Scores {
		q[i] = uint8(math.Round(255 * r.normalised(v)))
	}
	return q
}

// heatmap draws the score map in inferno above a legend strip: a colour bar
// from Range[0] (left) to Range[1] (right), the two bounds printed at its
// ends, the score's name between them where it fits, and a white tick at
// the threshold when there is one.
func (r *Result) heatmap() *dataset.Image {
	w, h := r.Input.W, r.Input.H
	out := dataset.NewImage(w, h+legendHeight)
	for i, v := range r.Scores {
		c := Inferno(r.normalised(v))
		copy(out.Pix[3*i:3*i+3], c[:])
	}
	leg := image.NewRGBA(image.Rect(0, 0, w, legendHeight))
	for i := 3; i < len(leg.Pix); i += 4 {
		leg.Pix[i] = 255 // opaque black background
	}
	const bar = 6
	for x := 0; x < w; x++ {
		c := Inferno(float64(x) / float64(max(1, w-1)))
		for y := 0; y < bar; y++ {
			copy(leg.Pix[leg.PixOffset(x, y):], c[:])
		}
	}
	if r.Threshold != nil {
		tx := int(math.Round(r.normalised(*r.Threshold) * float64(w-1)))
		for y := 0; y < bar+2; y++ {
			copy(leg.Pix[leg.PixOffset(tx, y):], []uint8{255, 255, 255})
		}
	}
	lo := strconv.FormatFloat(float64(r.Range[0]), 'g', 3, 32)
	hi := strconv.FormatFloat(float64(r.Range[1]), 'g', 3, 32)
	drawText(leg, lo, 1, legendHeight-1, false)
	drawText(leg, hi, w-1, legendHeight-1, true)
	if r.p != nil {
		// The score's name, centred between the bounds where it fits.
		face := basicfont.Face7x13
		name := r.p.ScoreName()
		nw := font.MeasureString(face, name).Ceil()
		side := max(font.MeasureString(face, lo).Ceil(), font.MeasureString(face, hi).Ceil())
		if 2*side+nw+16 <= w {
			d := font.Drawer{Dst: leg, Src: image.NewUniform(color.White), Face: face, Dot: fixed.P((w-nw)/2, legendHeight-2)}
			d.DrawString(name)
		}
	}
	for y := 0; y < legendHeight; y++ {
		for x := 0; x < w; x++ {
			copy(out.Pix[3*((h+y)*w+x):3*((h+y)*w+x)+3], leg.Pix[leg.PixOffset(x, y):])
		}
	}
	return out
}

// drawText prints s in white with the 7x13 basic font, its baseline at y,
// starting at x (or ending at x when alignRight). Text that does not fit
// (both labels side by side) is skipped rather than clipped mid-glyph.
func drawText(dst *image.RGBA, s string, x, y int, alignRight bool) {
	face := basicfont.Face7x13
	width := font.MeasureString(face, s).Ceil()
	if alignRight {
		x -= width
	}
	if x < 0 || x+width > dst.Bounds().Dx() || 2*width+8 > dst.Bounds().Dx() {
		return
	}
	d := font.Drawer{Dst: dst, Src: image.NewUniform(color.White), Face: face, Dot: fixed.P(x, y-1)}
	d.DrawString(s)
}

// overlay blends the fused (or closed-set) colours over the input.
func (r *Result) overlay() *dataset.Image {
	w, h := r.Input.W, r.Input.H
	labels, k := r.Labels, -1
	if r.Fused != nil {
		labels, k = r.Fused, len(r.p.cfg.Classes)
	}
	pal := r.p.meta.Colors
	out := dataset.NewImage(w, h)
	for i, c := range labels {
		col, a := AnomalyColor, overlayAnomalyAlpha
		if int(c) != k {
			col, a = pal[c], overlayClassAlpha
		}
		for ch := 0; ch < 3; ch++ {
			v := (1-a)*float64(r.Input.Pix[3*i+ch]) + a*float64(col[ch])
			out.Pix[3*i+ch] = uint8(v + 0.5)
		}
	}
	return out
}
