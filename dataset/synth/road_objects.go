package synth

import (
	"math"
)

// genObjects places cars, pedestrians, poles and traffic signs.
func (s *roadScene) genObjects(g *rng) {
	carMats := make([]*material, 4)
	for i := range carMats {
		c := paint(g)
		carMats[i] = &material{pat: patNoise, c0: c, c1: vary(g, c.scale(1.15), 0.05), scale: g.uni(0.5, 2), contrast: 0.4, seed: g.u32()}
	}
	s.palette = append(s.palette, carMats[0], carMats[1])
	glass := &material{pat: patNoise, c0: mix(hsv(0.58, 0.2, 0.15), s.sky.horizon, g.uni(0.1, 0.5)), scale: 0.7, contrast: 0.6, seed: g.u32()}
	glass.c1 = glass.c0.scale(1.5)
	tyre := &material{pat: patNoise, c0: greyish(g, 0.05, 0.15), scale: 0.2, contrast: 0.3, seed: g.u32()}
	tyre.c1 = tyre.c0.scale(1.4)

	// Moving traffic in every lane; lanes left of the centre line on
	// two-way roads carry oncoming cars seen from the front.
	density := []float64{0.4, 0.7, 1.0}[s.urban]
	for ln := 0; ln < s.lanes; ln++ {
		lat := -float64(s.lanes)/2*s.lw + (float64(ln)+0.5)*s.lw
		front := s.lanes >= 2 && lat < 0
		for z := g.uni(8, 30); z < 120; z += g.uni(10, 45) / density {
			if g.chance(0.45) {
				continue
			}
			if math.Abs(s.anchor(z, lat)) < 1.5 && z < 15 {
				continue // no car right on the bonnet of the ego car
			}
			s.addSprite(s.car(g, carMats[g.intn(len(carMats))], glass, tyre, z, lat+g.norm(0, 0.2), front))
		}
	}
	// Parked cars along the kerbs in towns.
	if s.urban > 0 {
		for _, side := range []float64{-1, 1} {
			if !g.chance(0.3 + 0.3*float64(s.urban)) {
				continue
			}
			for z := g.uni(3, 15); z < 90; z += g.uni(5, 14) {
				if g.chance(0.35) {
					continue
				}
				s.addSprite(s.car(g, carMats[g.intn(len(carMats))], glass, tyre, z, side*(s.rw/2-1.1), side < 0 && g.chance(0.5)))
			}
		}
	}
	// Poles, street lamps and signs on the kerb.
	if s.urban > 0 || g.chance(0.5) {
		signCols := []color{hsv(0.0, 0.8, 0.7), hsv(0.6, 0.8, 0.55), hsv(0.14, 0.8, 0.85), hsv(0.35, 0.7, 0.45), greyish(g, 0.8, 0.95)}
		for _, side := range []float64{-1, 1} {
			if !g.chance(0.75) {
				continue
			}
			sw := s.sw[0]
			if side > 0 {
				sw = s.sw[1]
			}
			for z := g.uni(3, 20); z < 150; z += g.uni(12, 40) {
				lat := side * (s.rw/2 + math.Max(0.4, math.Min(0.8, sw*0.5)))
				s.addSprite(s.pole(g, z, lat, side, signCols))
			}
		}
	}
	// Pedestrians on the pavements and on zebra crossings.
	if s.urban > 0 || g.chance(0.3) {
		n := g.irange(0, 3+3*s.urban)
		for i := 0; i < n; i++ {
			z := g.logUni(4, 60)
			side := g.sign()
			sw := s.sw[0]
			if side > 0 {
				sw = s.sw[1]
			}
			lat := side * (s.rw/2 + g.uni(0.3, math.Max(0.6, sw-0.3)))
			if s.cross[1] > s.cross[0] && g.chance(0.4) {
				z = g.uni(s.cross[0]+0.5, s.cross[1]-0.5)
				lat = g.uni(-s.rw/2, s.rw/2)
			}
			if s.collides(s.anchor(z, lat), z, 0.4) {
				continue
			}
			s.addSprite(s.pedestrian(g, z, lat))
		}
	}
}

// collides reports whether a ground disc at (X, Z) of radius r overlaps an
// existing object's footprint.
func (s *roadScene) collides(X, Z, r float64) bool {
	for _, sp := range s.sprites {
		if math.Hypot(sp.X-X, (sp.Z-Z)*0.6) < sp.radius+r {
			return true
		}
	}
	for _, sp := range s.anomalies {
		if math.Hypot(sp.X-X, (sp.Z-Z)*0.6) < sp.radius+r {
			return true
		}
	}
	return false
}

// car builds a car (or van) seen from behind, or from the front if front.
func (s *roadScene) car(g *rng, body, glass, tyre *material, z, lat float64, front bool) *sprite {
	w, h := g.uni(1.6, 1.95), g.uni(1.35, 1.6)
	van := g.chance(0.15)
	if van {
		w, h = g.uni(1.9, 2.4), g.uni(1.9, 3.0)
	}
	sp := &sprite{X: s.anchor(z, lat), Z: z, radius: w / 2}
	add := func(poly []pt, m *material, shade float64) {
		sp.parts = append(sp.parts, part{poly: [][]pt{poly}, mat: m, label: RoadCar, shade: shade})
	}
	hw := w / 2
	add(rect(-hw+0.05, 0, -hw+0.38, 0.6), tyre, 1)
	add(rect(hw-0.38, 0, hw-0.05, 0.6), tyre, 1)
	belt := 0.55 * h
	if van {
		belt = 0.45 * h
		add([]pt{{-hw, 0.2}, {hw, 0.2}, {hw, h - 0.1}, {hw - 0.1, h}, {-hw + 0.1, h}, {-hw, h - 0.1}}, body, 1)
		add(rect(-hw+0.15, belt+0.1, hw-0.15, h-0.2), glass, 1)
	} else {
		add([]pt{{-hw, 0.22}, {hw, 0.22}, {hw, belt - 0.08}, {hw - 0.08, belt}, {-hw + 0.08, belt}, {-hw, belt - 0.08}}, body, 1)
		add([]pt{{-hw * 0.94, belt - 0.02}, {hw * 0.94, belt - 0.02}, {hw * 0.72, h}, {-hw * 0.72, h}}, body, 1.08)
		add([]pt{{-hw * 0.82, belt + 0.06}, {hw * 0.82, belt + 0.06}, {hw * 0.68, h - 0.07}, {-hw * 0.68, h - 0.07}}, glass, 1)
	}
	lc := rgb(0.75, 0.08, 0.05)
	if front {
		lc = rgb(0.9, 0.9, 0.8)
	}
	light := &material{pat: patNoise, c0: lc, c1: lc.scale(0.8), scale: 0.2, contrast: 0.3, seed: body.seed + 1}
	ly := belt - 0.25
	add(rect(-hw+0.06, ly, -hw+0.36, ly+0.14), light, 1)
	add(rect(hw-0.36, ly, hw-0.06, ly+0.14), light, 1)
	plate := &material{pat: patNoise, c0: rgb(0.85, 0.85, 0.8), c1: rgb(0.7, 0.7, 0.65), scale: 0.1, contrast: 0.3, seed: 7}
	add(rect(-0.26, 0.3, 0.26, 0.42), plate, 1)
	s.shadows = append(s.shadows, shadow{sp.X - s.sunSide*0.3, z + 1.5, hw * 1.25, 2.6, 0.55})
	return sp
}

// pedestrian builds a standing or walking person.
func (s *roadScene) pedestrian(g *rng, z, lat float64) *sprite {
	H := g.uni(1.5, 1.95)
	sp := &sprite{X: s.anchor(z, lat), Z: z, radius: 0.3}
	cloth := func() *material {
		c := paint(g)
		return &material{pat: patNoise, c0: c, c1: c.scale(0.8), scale: 0.3, contrast: 0.5, seed: g.u32()}
	}
	pants, shirt := cloth(), cloth()
	skin := &material{pat: patNoise, c0: hsv(g.uni(0.03, 0.09), g.uni(0.25, 0.6), g.uni(0.25, 0.85)), scale: 0.1, contrast: 0.2, seed: g.u32()}
	skin.c1 = skin.c0.scale(0.9)
	hair := &material{pat: patNoise, c0: hsv(g.uni(0.04, 0.1), g.uni(0.2, 0.7), g.uni(0.05, 0.6)), scale: 0.1, contrast: 0.4, seed: g.u32()}
	hair.c1 = hair.c0.scale(0.7)
	add := func(poly []pt, m *material) {
		sp.parts = append(sp.parts, part{poly: [][]pt{poly}, mat: m, label: RoadPedestrian, shade: 1})
	}
	stride := g.uni(0, 0.18) * H
	lw := 0.075 * H
	hip := 0.48 * H
	add([]pt{{-lw - 0.01, hip}, {0.01, hip}, {-stride/2 + lw/2, 0}, {-stride/2 - lw/2, 0}}, pants)
	add([]pt{{-0.01, hip}, {lw + 0.01, hip}, {stride/2 + lw/2, 0}, {stride/2 - lw/2, 0}}, pants)
	tw := g.uni(0.11, 0.15) * H
	add([]pt{{-tw, hip - 0.03}, {tw, hip - 0.03}, {tw * 1.05, 0.8 * H}, {-tw * 1.05, 0.8 * H}}, shirt)
	add(rect(-tw-0.06*H, 0.45*H, -tw, 0.79*H), shirt)
	add(rect(tw, 0.45*H, tw+0.06*H, 0.79*H), shirt)
	add(rect(-0.03*H, 0.78*H, 0.03*H, 0.86*H), skin)
	add(ellipse(0, 0.91*H, 0.06*H, 0.075*H, 14), skin)
	add(ellipse(0, 0.95*H, 0.063*H, 0.045*H, 12), hair)
	s.shadows = append(s.shadows, shadow{sp.X - s.sunSide*0.3, z + 0.3, 0.35, 0.5, 0.6})
	return sp
}

// pole builds a lamp post or a sign post on the kerb.
func (s *roadScene) pole(g *rng, z, lat, side float64, signCols []color) *sprite {
	sp := &sprite{X: s.anchor(z, lat), Z: z, radius: 0.2}
	r := g.uni(0.06, 0.12)
	if g.chance(0.55) {
		// Street lamp with an arm reaching over the road.
		H := g.uni(5, 9)
		sp.parts = append(sp.parts, part{poly: [][]pt{rect(-r, 0, r, H)}, mat: s.mats.pole, label: RoadPole, shade: 1})
		arm := -side * g.uni(1, 2.5)
		sp.parts = append(sp.parts, part{poly: [][]pt{{{0, H - 0.1}, {arm, H}, {arm, H + 0.12}, {0, H + 0.05}}}, mat: s.mats.pole, label: RoadPole, shade: 1})
		return sp
	}
	H := g.uni(2.2, 3.2)
	sp.parts = append(sp.parts, part{poly: [][]pt{rect(-r*0.7, 0, r*0.7, H)}, mat: s.mats.pole, label: RoadPole, shade: 1})
	rs := g.uni(0.3, 0.45)
	cy := H - rs
	var outer []pt
	switch g.intn(4) {
	case 0:
		outer = ellipse(0, cy, rs, rs, 20)
	case 1:
		outer = []pt{{-rs * 1.1, cy - rs*0.8}, {rs * 1.1, cy - rs*0.8}, {0, cy + rs*1.1}}
	case 2:
		outer = rect(-rs, cy-rs, rs, cy+rs)
	default:
		outer = ellipse(0, cy, rs, rs, 8)
	}
	face := signCols[g.intn(len(signCols))]
	border := signCols[g.intn(len(signCols))]
	if g.chance(0.2) { // seen from behind
		face, border = s.mats.pole.c0, s.mats.pole.c0
	}
	bm := &material{pat: patNoise, c0: border, c1: border.scale(0.9), scale: 0.3, contrast: 0.3, seed: g.u32()}
	fm := &material{pat: patNoise, c0: face, c1: face.scale(0.85), scale: 0.3, contrast: 0.3, seed: g.u32()}
	inner := make([]pt, len(outer))
	for i, p := range outer {
		inner[i] = pt{p.x * 0.8, cy + (p.y-cy)*0.8}
	}
	sp.parts = append(sp.parts, part{poly: [][]pt{outer}, mat: bm, label: RoadTrafficSign, shade: 1})
	sp.parts = append(sp.parts, part{poly: [][]pt{inner}, mat: fm, label: RoadTrafficSign, shade: 1})
	if len(s.palette) < 16 {
		s.palette = append(s.palette, fm)
	}
	return sp
}

// anomalySprite builds an object of category cat whose ground contact point
// is (X, Z). Every part borrows a material of this scene's inlier palette,
// so colour and texture alone cannot reveal it.
func (s *roadScene) anomalySprite(g *rng, cat string, X, Z float64) *sprite {
	sp := &sprite{X: X, Z: Z, anomaly: cat}
	pal := func() *material { return s.palette[g.intn(len(s.palette))] }
	add := func(m *material, shade float64, poly ...[]pt) {
		sp.parts = append(sp.parts, part{poly: poly, mat: m, label: AnomalyLabel, shade: shade})
	}
	// local maps a world point to sprite-local metres at depth Z, so that
	// faces receding from the camera (a crate's top and side) keep their
	// perspective while the sprite is drawn at one depth.
	local := func(x, y, z float64) pt {
		k := Z / z
		return pt{(X+x)*k - X, s.cam.hc - (s.cam.hc-y)*k}
	}
	switch cat {
	case "crate":
		w, h, d := g.uni(0.5, 1.3), g.uni(0.4, 1.1), g.uni(0.4, 1.2)
		m := pal()
		sp.radius = math.Max(w, d) / 2
		if X+w/2 < 0 {
			add(m, 0.75, []pt{local(w/2, 0, Z), local(w/2, h, Z), local(w/2, h, Z+d), local(w/2, 0, Z+d)})
		} else if X-w/2 > 0 {
			add(m, 0.75, []pt{local(-w/2, 0, Z), local(-w/2, h, Z), local(-w/2, h, Z+d), local(-w/2, 0, Z+d)})
		}
		if h < s.cam.hc {
			add(m, 1.15, []pt{local(-w/2, h, Z), local(w/2, h, Z), local(w/2, h, Z+d), local(-w/2, h, Z+d)})
		}
		add(m, 1, rect(-w/2, 0, w/2, h))
		if g.chance(0.5) { // a second crate stacked on top
			w2, h2 := w*g.uni(0.5, 0.9), h*g.uni(0.5, 0.9)
			add(pal(), 1, rect(-w2/2, h, w2/2, h+h2))
		}
	case "tyre":
		r := g.uni(0.3, 0.5)
		m := pal()
		sp.radius = r
		if g.chance(0.5) { // upright, seen at an angle
			sx := g.uni(0.3, 1)
			add(m, 1, ellipse(0, r, r*sx, r, 24), ellipse(0, r, r*sx*0.55, r*0.55, 20))
		} else { // a stack of lying tyres
			n := g.irange(1, 3)
			t := g.uni(0.18, 0.25)
			ry := r * math.Max(0.15, (s.cam.hc-float64(n)*t)/Z)
			for i := 0; i < n; i++ {
				y := float64(i) * t
				add(m, 0.85, rect(-r, y+ry*0.0, r, y+t), ellipse(0, y, r, ry, 20))
			}
			top := float64(n) * t
			add(m, 1.1, ellipse(0, top, r, ry, 24), ellipse(0, top, r*0.5, ry*0.5, 20))
		}
	case "barrel":
		r, h := g.uni(0.25, 0.35), g.uni(0.8, 1.0)
		m := pal()
		sp.radius = r
		ry := r * math.Max(0.1, (s.cam.hc-h)/Z)
		add(m, 0.9, rect(-r, 0, r, h), ellipse(0, 0, r, ry, 16))
		add(m, 0.9, ellipse(0, 0, r, ry, 16))
		for _, y := range []float64{h * 0.3, h * 0.65} {
			add(pal(), 0.8, rect(-r, y, r, y+0.05))
		}
		if h < s.cam.hc {
			add(m, 1.15, ellipse(0, h, r, ry, 20))
		}
	case "animal":
		sh := g.uni(0.4, 1.5) // shoulder height
		L := sh * g.uni(1.1, 1.6)
		dir := g.sign()
		m := pal()
		sp.radius = L / 2
		by := sh * 0.75
		bry := sh * g.uni(0.18, 0.26)
		lw := sh * g.uni(0.07, 0.11)
		for _, lx := range []float64{-0.38, -0.26, 0.26, 0.38} {
			x := lx * L
			sw := g.uni(-0.08, 0.08) * sh
			add(m, 0.85, []pt{{x - lw/2, by}, {x + lw/2, by}, {x + sw + lw*0.35, 0}, {x + sw - lw*0.35, 0}})
		}
		add(m, 1, ellipse(0, by, L/2, bry, 24))
		nx := dir * L * 0.42
		hx, hy := dir*(L/2+sh*0.15), by+sh*g.uni(0.2, 0.45)
		add(m, 1, []pt{{nx - dir*sh*0.12, by}, {nx + dir*sh*0.1, by + bry*0.5}, {hx + dir*sh*0.05, hy}, {hx - dir*sh*0.1, hy}})
		add(m, 1.05, ellipse(hx+dir*sh*0.06, hy, sh*0.16, sh*0.09, 16))
		add(m, 1, []pt{{hx - dir*sh*0.04, hy + sh*0.05}, {hx - dir*sh*0.01, hy + sh*0.05}, {hx - dir*sh*0.06, hy + sh*0.17}})
		tx := -dir * L / 2
		add(m, 0.9, []pt{{tx, by + bry*0.4}, {tx, by + bry*0.1}, {tx - dir*sh*0.35, by - sh*0.25}, {tx - dir*sh*0.3, by - sh*0.2}})
	case "rock":
		rx := g.uni(0.25, 0.9)
		ry := rx * g.uni(0.45, 0.8)
		m := pal()
		sp.radius = rx
		add(m, 0.85, blob(g, 0, ry*0.7, rx, ry, 0.3, 24))
		add(m, 1.1, blob(g, -rx*0.15, ry*0.95, rx*0.6, ry*0.5, 0.3, 16))
	default: // "debris": a loose pile of planks and lumps
		W := g.uni(0.8, 2.5)
		top := g.uni(0.3, 0.9) // pile height
		sp.radius = W / 2
		add(pal(), 0.8, blob(g, 0, top*0.2, W/2, top*0.35, 0.35, 20)) // the heap's base
		n := g.irange(5, 12)
		for i := 0; i < n; i++ {
			x := g.uni(-W/2, W/2) * 0.85
			y := g.uni(0.1, 1) * top * (1 - 1.6*math.Abs(x)/W)
			if g.chance(0.5) {
				l, t := g.uni(0.3, 1.2), g.uni(0.06, 0.18)
				a := g.uni(-1.2, 1.2)
				add(pal(), g.uni(0.8, 1.15), orientedRect(x, y, l, t, a))
			} else {
				r := g.uni(0.1, 0.3)
				add(pal(), g.uni(0.8, 1.15), blob(g, x, y, r, r*0.8, 0.4, 12))
			}
		}
	}
	s.shadows = append(s.shadows, shadow{X - s.sunSide*0.2, Z + sp.radius*0.5, sp.radius * 1.2, sp.radius * 1.5, 0.6})
	return sp
}
