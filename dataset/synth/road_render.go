package synth

import (
	"math"
)

// renderRoad generates and renders one road scene; cats are the anomaly
// categories allowed (nil for train).
func renderRoad(g *rng, h, w int, cats []string) (*Sample, *roadScene) {
	s := genRoadScene(g, h, w)
	c := newCanvas(w, h)
	s.drawGroundSky(c)
	s.drawBackdrop(c)
	for i := range s.lots {
		s.drawLot(c, &s.lots[i])
	}
	for _, sp := range s.sprites {
		s.drawSprite(c, sp, true)
	}
	s.drawHood(c)
	var names []string
	if len(cats) > 0 {
		names = s.placeAnomalies(g, c, cats)
	}
	s.applyFog(c)
	c.boxBlur3(s.post.blur)
	pix := c.finish(g, s.post.gain, s.post.tint, s.post.gamma, s.post.vignette, s.post.noise)
	sm := toSample(c, pix, true)
	sm.Anomalies = names
	return sm, s
}

// light returns the brightness of a vertical surface facing the road from
// side side: facades with the sun behind them are in their own shadow.
func (s *roadScene) light(side float64) float64 {
	switch {
	case s.sunSide == 0:
		return 0.85
	case side == s.sunSide:
		return 0.5 + 0.2*s.shadowK
	}
	return 1
}

// groundShade returns the brightness of the ground point (X, Z): cast
// shadows of the lots on the sun's side and of objects.
func (s *roadScene) groundShade(X, Z float64) float64 {
	if s.sunSide == 0 {
		return 0.9
	}
	k := 1.0
	d := s.sunSide * (X - s.xc(Z)) // distance toward the sun's side
	for i := range s.lots {
		l := &s.lots[i]
		if l.side != s.sunSide || Z < l.z0 || Z > l.z1 || l.kind == lotFence {
			continue
		}
		edge := s.rw/2 + l.off
		if d < edge && edge-d < l.height*s.sunCot {
			return s.shadowK
		}
	}
	for _, sh := range s.shadows {
		dx, dz := (X-sh.X)/sh.rx, (Z-sh.Z)/sh.rz
		if r := dx*dx + dz*dz; r < 1 {
			k = math.Min(k, 1-(1-sh.k)*(1-r*r))
		}
	}
	return k
}

// drawGroundSky fills every pixel with sky or the ground plane.
func (s *roadScene) drawGroundSky(c *canvas) {
	cam := s.cam
	for y := 0; y < c.h; y++ {
		b := (float64(y) + 0.5 - cam.v0) / cam.f
		for x := 0; x < c.w; x++ {
			i := y*c.w + x
			a := (float64(x) + 0.5 - cam.u0) / cam.f
			if b <= 1e-4 || cam.hc/b > 3000 {
				e := math.Max(0, -b)
				col := mix(s.sky.horizon, s.sky.zenith, smoothstep(0, 0.7, e))
				if e > 0 {
					n := fbm(a/(e+0.08)*2, 3/(e+0.08), 4, s.sky.seed, 0.01)
					col = mix(col, s.sky.cloud, smoothstep(1-s.sky.cover, 1.2-s.sky.cover*0.8, n))
				}
				c.col[i], c.lab[i] = col, RoadSky
				continue
			}
			Z := cam.hc / b
			X := a * Z
			lab, col := s.groundColor(X, Z)
			c.col[i] = col.scale(s.groundShade(X, Z))
			c.lab[i] = lab
			c.z[i] = Z
		}
	}
}

// groundColor classifies the ground point (X, Z) into road, lane marking,
// sidewalk or terrain and returns its colour.
func (s *roadScene) groundColor(X, Z float64) (uint8, color) {
	d := X - s.xc(Z)
	ad := math.Abs(d)
	fp := Z * Z / (s.cam.f * s.cam.hc) // footprint along the road, the larger one
	m := &s.mats
	if ad < s.rw/2 {
		if s.isMarking(d, Z) && fbm(d*2, Z*0.5, 2, m.road.seed+17, 0) > s.wear {
			return RoadLaneMarking, m.mark.at(d, Z, fp)
		}
		return RoadRoad, m.road.at(d, Z, fp)
	}
	side := 0
	if d > 0 {
		side = 1
	}
	if ad < s.rw/2+s.sw[side] {
		col := m.side.at(d, Z, fp)
		if ad < s.rw/2+0.2 {
			col = col.scale(1.12) // kerb stones
		}
		return RoadSidewalk, col
	}
	return RoadTerrain, m.terrain.at(d, Z, fp)
}

func (s *roadScene) isMarking(d, Z float64) bool {
	hm := s.markW / 2
	if s.cross[1] > s.cross[0] && Z >= s.cross[0] && Z <= s.cross[1] && math.Abs(d) < s.rw/2-0.3 {
		f := d/1.0 - math.Floor(d/1.0)
		return f < 0.5
	}
	if s.edgeLines && math.Abs(math.Abs(d)-(s.rw/2-0.3)) < hm {
		return true
	}
	for i := 1; i < s.lanes; i++ {
		p := -float64(s.lanes)/2*s.lw + float64(i)*s.lw
		if math.Abs(d-p) < hm {
			if s.solidMid && 2*i == s.lanes {
				return true
			}
			f := (Z + s.dashPh) / s.dashP
			return f-math.Floor(f) < s.dashF
		}
	}
	return false
}

// planeHits returns the depths (at most two, 0 if absent) where the ray of
// image column a = (u−u0)/f meets the vertical surface X = xc(Z) + lat:
// k·Z² + (tY − a)·Z + (x0 + lat) = 0.
func (s *roadScene) planeHits(a, lat float64) (float64, float64) {
	A, B, C := s.k, s.tY-a, s.x0+lat
	if math.Abs(A) < 1e-9 {
		if B == 0 {
			return 0, 0
		}
		return -C / B, 0
	}
	disc := B*B - 4*A*C
	if disc < 0 {
		return 0, 0
	}
	q := math.Sqrt(disc)
	return (-B - q) / (2 * A), (-B + q) / (2 * A)
}

// drawLot draws a roadside surface column by column.
func (s *roadScene) drawLot(c *canvas, l *lot) {
	cam := s.cam
	lat := l.side * (s.rw/2 + l.off)
	shade := s.light(l.side)
	for x := 0; x < c.w; x++ {
		a := (float64(x) + 0.5 - cam.u0) / cam.f
		z1, z2 := s.planeHits(a, lat)
		for _, Z := range [2]float64{z1, z2} {
			if Z < 0.5 || Z < l.z0 || Z > l.z1 {
				continue
			}
			if l.kind == lotFence && l.slatFill < 1 {
				f := Z/l.slat - math.Floor(Z/l.slat)
				if f > l.slatFill && math.Abs(Z-l.z0) > 0.15 {
					continue // see-through gap between boards
				}
			}
			top := l.height
			if l.topAmp > 0 {
				top += l.topAmp * (2*fbm(Z/l.topScale, 0.5, 3, l.seed, 0) - 1)
			}
			s.column(c, x, Z, 0, top, func(Y float64) (uint8, color) {
				if l.kind == lotFence && Y > top-0.12 {
					return l.label, l.mat.c0.scale(shade * 0.9) // top rail
				}
				if l.kind == lotBuilding && Y > top-0.35 {
					return l.label, l.mat.c1.scale(shade * 0.8) // cornice
				}
				return l.label, l.mat.at(Z, Y, Z/cam.f).scale(shade)
			})
		}
		// Near end face of a building (the wall perpendicular to the road).
		if l.kind == lotBuilding && l.z0 > 0.5 {
			X := a * l.z0
			xa := s.xc(l.z0) + lat
			xb := xa + l.side*l.depth
			if (X-xa)*(X-xb) < 0 {
				s.column(c, x, l.z0, 0, l.height, func(Y float64) (uint8, color) {
					return l.label, l.mat.at(X, Y, l.z0/cam.f).scale(0.8 * shade)
				})
			}
		}
	}
}

// column paints rows of image column x where a vertical surface at depth Z
// spans heights [y0, y1] above the ground, with depth testing.
func (s *roadScene) column(c *canvas, x int, Z, y0, y1 float64, col func(Y float64) (uint8, color)) {
	cam := s.cam
	vt := cam.v0 + cam.f*(cam.hc-y1)/Z
	vb := cam.v0 + cam.f*(cam.hc-y0)/Z
	r0 := max(0, int(math.Ceil(vt-0.5)))
	r1 := min(c.h-1, int(math.Ceil(vb-0.5))-1)
	for y := r0; y <= r1; y++ {
		i := y*c.w + x
		if Z >= c.z[i] {
			continue
		}
		Y := cam.hc - (float64(y)+0.5-cam.v0)*Z/cam.f
		c.lab[i], c.col[i] = col(Y)
		c.z[i] = Z
	}
}

// drawBackdrop draws a distant skyline or tree line across the image.
func (s *roadScene) drawBackdrop(c *canvas) {
	b := &s.backdrop
	cam := s.cam
	lab := uint8(RoadVegetation)
	if b.city {
		lab = RoadBuilding
	}
	for x := 0; x < c.w; x++ {
		X := (float64(x) + 0.5 - cam.u0) / cam.f * b.z
		var top float64
		if b.city {
			blk := math.Floor(X / 15)
			top = b.height * (0.3 + hash2(int32(blk), 0, b.seed))
		} else {
			top = b.height * fbm(X/40, 0.5, 4, b.seed, 0)
		}
		s.column(c, x, b.z, 0, top, func(Y float64) (uint8, color) {
			return lab, mix(b.mat.at(X, Y, b.z/cam.f), s.fogCol, 0.35)
		})
	}
}

// drawSprite depth-tests an upright object. With commit false it only
// counts how many of its pixels would be visible; with commit true it also
// paints them. Later parts lie in front of earlier ones.
func (s *roadScene) drawSprite(c *canvas, sp *sprite, commit bool) int {
	cam := s.cam
	if sp.Z < 0.5 {
		return 0
	}
	c.stamp++
	visible := 0
	fp := sp.Z / cam.f
	for j := range sp.parts {
		p := &sp.parts[j]
		depth := sp.Z - 0.001*float64(j)
		scr := make([][]pt, len(p.poly))
		for k, poly := range p.poly {
			scr[k] = make([]pt, len(poly))
			for n, q := range poly {
				scr[k][n] = cam.project(sp.X+q.x, q.y, sp.Z)
			}
		}
		c.fill(scr, func(x, y int) {
			i := y*c.w + x
			if depth > c.z[i] {
				return
			}
			if c.mark[i] != c.stamp {
				c.mark[i] = c.stamp
				visible++
			}
			if !commit {
				return
			}
			lx := (float64(x)+0.5-cam.u0)*sp.Z/cam.f - sp.X
			ly := cam.hc - (float64(y)+0.5-cam.v0)*sp.Z/cam.f
			c.col[i] = p.mat.at(lx+float64(j)*3.7, ly, fp).scale(p.shade * 0.95)
			c.lab[i] = p.label
			c.z[i] = depth
		})
	}
	return visible
}

// drawHood paints the ego vehicle's bonnet at the bottom of the image as
// void, like the ego car in Cityscapes.
func (s *roadScene) drawHood(c *canvas) {
	if s.hood == 0 {
		return
	}
	w, h := float64(c.w), float64(c.h)
	top := h * (1 - s.hood)
	poly := []pt{{-1, h + 1}, {-1, top + 0.5*s.hood*h}, {w * 0.2, top}, {w * 0.8, top}, {w + 1, top + 0.5*s.hood*h}, {w + 1, h + 1}}
	c.fill([][]pt{poly}, func(x, y int) {
		i := y*c.w + x
		c.col[i] = s.hoodMat.at(float64(x)*0.05, float64(y)*0.05, 0.05).scale(0.4 + 0.6*(float64(y)-top)/(h-top+1))
		c.lab[i] = VoidLabel
		c.z[i] = 0.1
	})
}

// placeAnomalies inserts 1-3 anomalous objects on or near the road at 5-50 m.
// Each candidate placement is rejected if it collides with an object or is
// too occluded (fewer than max(4, H·W/2500) pixels visible, 13 at the default
// 128×256), so every val and test image contains at least one visible
// anomaly.
func (s *roadScene) placeAnomalies(g *rng, c *canvas, cats []string) []string {
	n := 1 + g.weighted([]float64{0.5, 0.3, 0.2})
	minVis := max(4, c.w*c.h/2500)
	var names []string
	for k := 0; k < n; k++ {
		cat := cats[g.intn(len(cats))]
		var best, fallback *sprite
		fallbackVis := 0
		for try := 0; try < 60 && best == nil; try++ {
			var Z, lat float64
			if try < 40 {
				Z = g.logUni(roadAnomalyMinZ, roadAnomalyMaxZ)
				if g.chance(0.7) {
					lat = g.uni(-s.rw/2+0.3, s.rw/2-0.3)
				} else {
					sw := math.Max(s.sw[0], s.sw[1])
					lat = g.sign() * (s.rw/2 + g.uni(0, sw+1.5))
				}
			} else {
				// Fallback: close and in front of the ego car.
				Z = g.uni(roadAnomalyMinZ, 2*roadAnomalyMinZ)
				lat = -s.x0 + g.uni(-1, 1)
			}
			X := s.anchor(Z, lat)
			sp := s.anomalySprite(g, cat, X, Z)
			s.shadows = s.shadows[:len(s.shadows)-1] // only kept if accepted
			if s.collides(X, Z, sp.radius) {
				continue
			}
			vis := s.drawSprite(c, sp, false)
			if vis >= minVis {
				best = sp
			} else if vis > fallbackVis {
				fallback, fallbackVis = sp, vis
			}
		}
		if best == nil && len(names) == 0 {
			// Tiny images: the best partly visible candidate still makes
			// the image a valid val/test image.
			best = fallback
		}
		if best == nil {
			continue
		}
		s.anomalies = append(s.anomalies, best)
		sh := shadow{best.X - s.sunSide*0.2, best.Z + best.radius*0.5, best.radius * 1.2, best.radius * 1.5, 0.6}
		s.shadeGround(c, sh)
		s.drawSprite(c, best, true)
		names = append(names, best.anomaly)
	}
	return names
}

// shadeGround darkens the ground pixels under a shadow added after the
// ground was rendered.
func (s *roadScene) shadeGround(c *canvas, sh shadow) {
	if s.sunSide == 0 {
		sh.k = 0.8
	}
	cam := s.cam
	for y := 0; y < c.h; y++ {
		b := (float64(y) + 0.5 - cam.v0) / cam.f
		if b <= 1e-4 {
			continue
		}
		Z := cam.hc / b
		if math.Abs(Z-sh.Z) > sh.rz {
			continue
		}
		for x := 0; x < c.w; x++ {
			i := y*c.w + x
			switch c.lab[i] {
			case RoadRoad, RoadLaneMarking, RoadSidewalk, RoadTerrain:
			default:
				continue
			}
			if math.Abs(c.z[i]-Z) > 1e-6*Z {
				continue
			}
			X := (float64(x) + 0.5 - cam.u0) / cam.f * Z
			dx, dz := (X-sh.X)/sh.rx, (Z-sh.Z)/sh.rz
			if r := dx*dx + dz*dz; r < 1 {
				c.col[i] = c.col[i].scale(1 - (1-sh.k)*(1-r*r))
			}
		}
	}
}

// applyFog blends distant surfaces toward the horizon colour.
func (s *roadScene) applyFog(c *canvas) {
	for i, z := range c.z {
		if math.IsInf(z, 0) || c.lab[i] == VoidLabel {
			continue
		}
		c.col[i] = mix(c.col[i], s.fogCol, 1-math.Exp(-z/s.fogDist))
	}
}
