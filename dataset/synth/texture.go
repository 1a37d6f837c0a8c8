package synth

import "math"

// Texture patterns. Every material is evaluated in surface coordinates in
// metres (s along the surface, t up or across it), so patterns shrink with
// distance exactly like the geometry does.
const (
	patNoise   = iota // two-colour fBm blotches
	patAsphalt        // fine grain plus darker patches
	patBrick          // running-bond bricks or pavers with mortar
	patWindows        // facade with a grid of windows
	patSlats          // vertical boards or bars
	patLeaves         // high-contrast foliage clumps
	patStripes        // horizontal bands (corrugated metal, siding)
	patTiles          // roof tiles (rows of arcs), used by aerial roofs
)

// material describes how one surface looks. Scenes create a handful of
// materials per class from randomised palettes; anomalies borrow them.
type material struct {
	pat        int
	c0, c1, c2 color   // base, secondary, detail (mortar, window glass)
	scale      float64 // feature size in metres
	contrast   float64 // strength of the c0-c1 blend
	seed       uint32
	// Brick and window layout (metres).
	bw, bh  float64 // brick or window-cell width and height
	fw, fh  float64 // window fraction of the cell
	litProb float64 // fraction of windows that are lit or reflective
}

// at returns the colour at surface point (s, t); fp is the pixel footprint in
// metres, used to fade details smaller than a pixel into their mean colour.
func (m *material) at(s, t, fp float64) color {
	switch m.pat {
	case patAsphalt:
		n := fbm(s/m.scale, t/m.scale, 3, m.seed, fp/m.scale)
		grain := valueNoise(s*9, t*9, m.seed+3)
		g := 0.5
		if fp < 0.12 {
			g = grain
		}
		c := mix(m.c0, m.c1, clamp01(smoothstep(0.45, 0.75, n)*m.contrast))
		return c.scale(0.9 + 0.2*g)
	case patBrick:
		row := math.Floor(t / m.bh)
		off := 0.0
		if int64(row)%2 != 0 {
			off = 0.5 * m.bw
		}
		col := math.Floor((s + off) / m.bw)
		jitter := hash2(int32(col), int32(row), m.seed)
		base := mix(m.c0, m.c1, jitter*m.contrast)
		n := fbm(s/m.scale, t/m.scale, 2, m.seed+11, fp/m.scale)
		base = base.scale(0.85 + 0.3*n)
		if fp > 0.5*m.bh {
			return mix(base, m.c2, 0.15)
		}
		fs := (s + off) - col*m.bw
		ft := t - row*m.bh
		mort := 0.06 * m.bh
		if fs < mort || ft < mort {
			return m.c2
		}
		return base
	case patWindows:
		n := fbm(s/m.scale, t/m.scale, 3, m.seed, fp/m.scale)
		wall := mix(m.c0, m.c1, n*m.contrast)
		col := math.Floor(s / m.bw)
		row := math.Floor(t / m.bh)
		if row < 0 {
			return wall
		}
		fs := s/m.bw - col
		ft := t/m.bh - row
		inWin := math.Abs(fs-0.5) < m.fw/2 && math.Abs(ft-0.55) < m.fh/2
		if fp > 0.6*m.bw*m.fw {
			// Windows below pixel size: average wall and glass.
			return mix(wall, m.c2, 0.5*m.fw*m.fh)
		}
		if inWin {
			g := m.c2
			if hash2(int32(col), int32(row), m.seed+5) < m.litProb {
				g = mix(m.c2, rgb(0.85, 0.85, 0.75), 0.6)
			}
			return g.scale(0.8 + 0.4*ft)
		}
		return wall
	case patSlats:
		x := s / m.bw
		f := x - math.Floor(x)
		n := fbm(s/m.scale, t/m.scale, 2, m.seed, fp/m.scale)
		c := mix(m.c0, m.c1, n*m.contrast)
		if fp < 0.5*m.bw && f < 0.15 {
			return c.scale(0.6)
		}
		return c
	case patLeaves:
		n := fbm(s/m.scale, t/m.scale, 4, m.seed, fp/m.scale)
		c := mix(m.c0, m.c1, smoothstep(0.3, 0.7, n))
		d := fbm(s/(0.4*m.scale), t/(0.4*m.scale), 2, m.seed+9, fp/m.scale)
		if d > 0.62 {
			c = mix(c, m.c2, (d-0.62)*2.5*m.contrast)
		}
		return c
	case patStripes:
		x := t / m.bh
		f := x - math.Floor(x)
		n := fbm(s/m.scale, t/m.scale, 2, m.seed, fp/m.scale)
		c := mix(m.c0, m.c1, n*m.contrast)
		if fp < 0.4*m.bh {
			return c.scale(0.85 + 0.3*math.Abs(f-0.5))
		}
		return c
	case patTiles:
		row := math.Floor(t / m.bh)
		ft := t/m.bh - row
		n := fbm(s/m.scale, t/m.scale, 2, m.seed, fp/m.scale)
		c := mix(m.c0, m.c1, n*m.contrast)
		if fp < 0.5*m.bh {
			return c.scale(0.75 + 0.35*ft)
		}
		return c
	}
	n := fbm(s/m.scale, t/m.scale, 4, m.seed, fp/m.scale)
	return mix(m.c0, m.c1, clamp01(0.5+(n-0.5)*2*m.contrast))
}
