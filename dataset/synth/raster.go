package synth

import (
	"math"
	"slices"
)

// pt is a 2-D point in pixel coordinates (or metres before projection).
type pt struct{ x, y float64 }

// fillPath rasterises a set of closed contours with the even-odd rule,
// sampling at pixel centres, and calls fn for every covered pixel of a w×h
// grid. Holes (a tyre's hub) are inner contours. xs is scratch space that the
// caller may reuse between calls.
func fillPath(contours [][]pt, w, h int, xs []float64, fn func(x, y int)) []float64 {
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, c := range contours {
		for _, p := range c {
			ymin = math.Min(ymin, p.y)
			ymax = math.Max(ymax, p.y)
		}
	}
	y0 := max(0, int(math.Floor(ymin-0.5)))
	y1 := min(h-1, int(math.Ceil(ymax-0.5)))
	for y := y0; y <= y1; y++ {
		cy := float64(y) + 0.5
		xs = xs[:0]
		for _, c := range contours {
			n := len(c)
			for i := 0; i < n; i++ {
				a, b := c[i], c[(i+1)%n]
				if (a.y <= cy) != (b.y <= cy) {
					xs = append(xs, a.x+(cy-a.y)*(b.x-a.x)/(b.y-a.y))
				}
			}
		}
		slices.Sort(xs)
		for i := 0; i+1 < len(xs); i += 2 {
			xa := max(0, int(math.Ceil(xs[i]-0.5)))
			xb := min(w-1, int(math.Ceil(xs[i+1]-0.5))-1)
			for x := xa; x <= xb; x++ {
				fn(x, y)
			}
		}
	}
	return xs
}

// ellipse returns an n-gon approximating an ellipse.
func ellipse(cx, cy, rx, ry float64, n int) []pt {
	p := make([]pt, n)
	for i := range p {
		a := 2 * math.Pi * float64(i) / float64(n)
		p[i] = pt{cx + rx*math.Cos(a), cy + ry*math.Sin(a)}
	}
	return p
}

// blob is an ellipse whose radius is modulated by a few random harmonics:
// rocks, tree crowns, bushes, lakes.
func blob(g *rng, cx, cy, rx, ry, rough float64, n int) []pt {
	const harmonics = 5
	var amp, ph [harmonics]float64
	for k := range amp {
		amp[k] = rough * g.uni(0, 1) / float64(k+1)
		ph[k] = g.uni(0, 2*math.Pi)
	}
	p := make([]pt, n)
	for i := range p {
		a := 2 * math.Pi * float64(i) / float64(n)
		r := 1.0
		for k := range amp {
			r += amp[k] * math.Sin(float64(k+2)*a+ph[k])
		}
		r = math.Max(r, 0.3)
		p[i] = pt{cx + rx*r*math.Cos(a), cy + ry*r*math.Sin(a)}
	}
	return p
}

// rect returns the axis-aligned rectangle [x0,x1]×[y0,y1] as a contour.
func rect(x0, y0, x1, y1 float64) []pt {
	return []pt{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
}

// orientedRect returns a w×h rectangle centred at (cx, cy) rotated by a.
func orientedRect(cx, cy, w, h, a float64) []pt {
	c, s := math.Cos(a), math.Sin(a)
	out := make([]pt, 4)
	for i, q := range [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
		x, y := q[0]*w/2, q[1]*h/2
		out[i] = pt{cx + x*c - y*s, cy + x*s + y*c}
	}
	return out
}

// canvas holds one scene being rendered: colour, label and depth per pixel.
// Depth doubles as the z-buffer of the road generator (metres along the
// optical axis, +Inf where nothing has been drawn).
type canvas struct {
	w, h  int
	col   []color
	lab   []uint8
	z     []float64
	xs    []float64 // scratch for fillPath
	mark  []uint32  // per-pixel stamp for counting visible pixels
	stamp uint32
}

func newCanvas(w, h int) *canvas {
	c := &canvas{w: w, h: h, col: make([]color, w*h), lab: make([]uint8, w*h), z: make([]float64, w*h), mark: make([]uint32, w*h)}
	for i := range c.z {
		c.z[i] = math.Inf(1)
	}
	return c
}

// fill rasterises contours and calls fn for each covered pixel.
func (c *canvas) fill(contours [][]pt, fn func(x, y int)) {
	c.xs = fillPath(contours, c.w, c.h, c.xs, fn)
}

// boxBlur3 blends each pixel with its 3×3 neighbourhood by weight a: a cheap
// stand-in for lens blur and demosaicing softness.
func (c *canvas) boxBlur3(a float64) {
	if a <= 0 {
		return
	}
	src := slices.Clone(c.col)
	w, h := c.w, c.h
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s color
			n := 0.0
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					p := src[yy*w+xx]
					s[0] += p[0]
					s[1] += p[1]
					s[2] += p[2]
					n++
				}
			}
			c.col[y*w+x] = mix(src[y*w+x], s.scale(1/n), a)
		}
	}
}

// finish applies camera effects (exposure, white balance, gamma-like
// contrast, vignetting, sensor noise) and quantises to 8-bit RGB.
func (c *canvas) finish(g *rng, gain float64, tint color, gamma, vignette, noise float64) []uint8 {
	out := make([]uint8, 3*c.w*c.h)
	// x^gamma through a table: math.Pow per channel dominated the run time.
	const lutN = 1024
	var lut [lutN + 2]float64
	for i := range lut {
		lut[i] = math.Pow(math.Min(1, float64(i)/lutN), gamma)
	}
	cx, cy := float64(c.w)/2, float64(c.h)/2
	r2 := cx*cx + cy*cy
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			i := y*c.w + x
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			v := gain * (1 - vignette*(dx*dx+dy*dy)/r2)
			p := c.col[i]
			for k := 0; k < 3; k++ {
				q := clamp01(p[k]*v*tint[k]) * lutN
				j := int(q)
				q = lut[j] + (lut[j+1]-lut[j])*(q-float64(j)) + noise*g.r.NormFloat64()
				out[3*i+k] = uint8(math.Round(255 * clamp01(q)))
			}
		}
	}
	return out
}
