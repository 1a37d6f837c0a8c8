package joint

import (
	"bytes"
	"math"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// gridGap is the white gutter between panels, in pixels.
const gridGap = 2

// toImage converts image i of a normalised batch [N,3,H,W] to 8 bits.
func toImage(x *tensor.Tensor, i int, nz Normalizer) *dataset.Image {
	_, _, h, w := x.NCHW()
	img := dataset.NewImage(w, h)
	for c := range 3 {
		src := x.Data[(i*3+c)*h*w:][:h*w]
		for p, v := range src {
			b := math.Round(float64(v*nz.Std[c]+nz.Mean[c]) * 255)
			img.Pix[3*p+c] = uint8(math.Max(0, math.Min(255, b)))
		}
	}
	return img
}

// blit copies src into dst at (x0, y0).
func blit(dst, src *dataset.Image, x0, y0 int) {
	for y := range src.H {
		copy(dst.Pix[3*((y0+y)*dst.W+x0):], src.Pix[3*y*src.W:3*(y+1)*src.W])
	}
}

func blankImage(w, h int) *dataset.Image {
	img := dataset.NewImage(w, h)
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return img
}

// PatchGrid tiles the patches [N,3,h,w] (normalised) in rows of cols,
// enlarged by an integer zoom so that small patches stay visible — the
// synthetic negatives of paper Figures 9-10.
func PatchGrid(patches *tensor.Tensor, cols, zoom int, nz Normalizer) *dataset.Image {
	n, _, h, w := patches.NCHW()
	cols = max(1, min(cols, n))
	rows := (n + cols - 1) / cols
	zoom = max(zoom, 1)
	ph, pw := h*zoom, w*zoom
	out := blankImage(cols*pw+(cols-1)*gridGap, rows*ph+(rows-1)*gridGap)
	for i := range n {
		img := toImage(patches, i, nz)
		big := dataset.NewImage(pw, ph)
		for y := range ph {
			for x := range pw {
				copy(big.Pix[3*(y*pw+x):3*(y*pw+x)+3], img.Pix[3*((y/zoom)*w+x/zoom):])
			}
		}
		blit(out, big, (i%cols)*(pw+gridGap), (i/cols)*(ph+gridGap))
	}
	return out
}

// MixedGrid draws one row per image: the mixed-content image x' with the
// pasted rectangle outlined in red, and, if logits is non-nil, the
// anomaly map 1 − JS(U, softmax(l/T))/JSmax (paper Eq. 7; the divergence
// vanishes where the posterior is uniform) in grey: white = anomalous.
func MixedGrid(mixed *tensor.Tensor, p Placement, logits *tensor.Tensor, T float32, maxRows int, nz Normalizer) (*dataset.Image, error) {
	n, _, h, w := mixed.NCHW()
	n = min(n, maxRows)
	panels := 1
	var score *tensor.Tensor
	var jsMax float64
	if logits != nil {
		jsMax = ood.JSMax(logits.Shape[1])
		var err error
		if score, err = ood.JSDivergence(logits, T); err != nil {
			return nil, err
		}
		panels = 2
	}
	out := blankImage(panels*w+(panels-1)*gridGap, n*h+(n-1)*gridGap)
	for i := range n {
		img := toImage(mixed, i, nz)
		if p.N() > i {
			outline(img, p.Top[i], p.Left[i], p.H, p.W)
		}
		y0 := i * (h + gridGap)
		blit(out, img, 0, y0)
		if score != nil {
			sm := dataset.NewImage(w, h)
			for q, v := range score.Data[i*h*w : (i+1)*h*w] {
				g := uint8(math.Max(0, math.Min(255, (1-float64(v)/jsMax)*255)))
				sm.Pix[3*q], sm.Pix[3*q+1], sm.Pix[3*q+2] = g, g, g
			}
			blit(out, sm, w+gridGap, y0)
		}
	}
	return out, nil
}

// outline draws a 1-pixel red rectangle border.
func outline(img *dataset.Image, top, left, h, w int) {
	set := func(y, x int) {
		if y >= 0 && y < img.H && x >= 0 && x < img.W {
			img.Pix[3*(y*img.W+x)], img.Pix[3*(y*img.W+x)+1], img.Pix[3*(y*img.W+x)+2] = 255, 0, 0
		}
	}
	for x := left; x < left+w; x++ {
		set(top, x)
		set(top+h-1, x)
	}
	for y := top; y < top+h; y++ {
		set(y, left)
		set(y, left+w-1)
	}
}

// writePNG writes img to path atomically.
func writePNG(path string, img *dataset.Image) error {
	var buf bytes.Buffer
	if err := dataset.EncodePNG(&buf, img); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}
