package synth

import "math"

// hash2 maps integer lattice coordinates and a seed to [0, 1).
func hash2(x, y int32, seed uint32) float64 {
	h := uint32(x)*0x8da6b343 ^ uint32(y)*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	h ^= h >> 15
	return float64(h>>8) / (1 << 24)
}

// valueNoise is smooth value noise in [0, 1) with unit lattice spacing.
func valueNoise(x, y float64, seed uint32) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int32(fx), int32(fy)
	tx, ty := x-fx, y-fy
	tx = tx * tx * (3 - 2*tx)
	ty = ty * ty * (3 - 2*ty)
	a := hash2(ix, iy, seed)
	b := hash2(ix+1, iy, seed)
	c := hash2(ix, iy+1, seed)
	d := hash2(ix+1, iy+1, seed)
	return a + (b-a)*tx + (c-a)*ty + (a-b-c+d)*tx*ty
}

// fbm sums octaves of value noise (fractional Brownian motion), normalised to
// [0, 1). Octaves finer than the pixel footprint fp (in the same units as
// x, y) are skipped, a cheap form of anti-aliasing that also saves time for
// distant surfaces.
func fbm(x, y float64, octaves int, seed uint32, fp float64) float64 {
	var sum, norm float64
	amp, freq := 1.0, 1.0
	for o := 0; o < octaves; o++ {
		if o > 0 && 1/freq < fp {
			// Remaining octaves average to 0.5.
			for ; o < octaves; o++ {
				sum += 0.5 * amp
				norm += amp
				amp *= 0.5
			}
			break
		}
		sum += amp * valueNoise(x*freq, y*freq, seed+uint32(o)*7919)
		norm += amp
		amp *= 0.5
		freq *= 2.03
	}
	return sum / norm
}

// color is linear-ish RGB in [0, 1] (display space; the generators do not
// need physically based shading).
type color [3]float64

func rgb(r, g, b float64) color { return color{r, g, b} }

func (c color) scale(k float64) color { return color{c[0] * k, c[1] * k, c[2] * k} }

func mix(a, b color, t float64) color {
	return color{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t, a[2] + (b[2]-a[2])*t}
}

// hsv converts hue (0..1), saturation and value to a color.
func hsv(h, s, v float64) color {
	h = h - math.Floor(h)
	i := math.Floor(h * 6)
	f := h*6 - i
	p, q, t := v*(1-s), v*(1-f*s), v*(1-(1-f)*s)
	switch int(i) % 6 {
	case 0:
		return color{v, t, p}
	case 1:
		return color{q, v, p}
	case 2:
		return color{p, v, t}
	case 3:
		return color{p, q, v}
	case 4:
		return color{t, p, v}
	}
	return color{v, p, q}
}

func clamp01(x float64) float64 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

func smoothstep(e0, e1, x float64) float64 {
	t := clamp01((x - e0) / (e1 - e0))
	return t * t * (3 - 2*t)
}
