package synth

import "math"

// placeAnomalies adds 1-3 anomalous objects of the split's categories.
// Every part borrows a material of the tile's inlier palette (roofs, streets,
// soil, vegetation, water), so colour alone does not give them away.
func (a *aerialScene) placeAnomalies(g *rng, cats []string) []string {
	n := 1 + g.weighted([]float64{0.5, 0.3, 0.2})
	var names []string
	for k := 0; k < n || len(names) == 0; k++ {
		if k > n+30 {
			break
		}
		cat := cats[g.intn(len(cats))]
		ok := false
		switch cat {
		case "boat":
			ok = a.boat(g, k >= n)
		case "harbour":
			var boats int
			ok, boats = a.harbour(g)
			for ; boats > 0; boats-- {
				names = append(names, "boat")
			}
		case "container":
			ok = a.containers(g, k >= n)
		case "tank":
			ok = a.tank(g, k >= n)
		}
		if ok {
			names = append(names, cat)
		}
	}
	return names
}

func (a *aerialScene) pal(g *rng) *material { return a.palette[g.intn(len(a.palette))] }

// boat puts a boat with a wake on open water. small relaxes the size so a
// boat fits even a small pond.
func (a *aerialScene) boat(g *rng, small bool) bool {
	if a.nLake == 0 {
		return false
	}
	for try := 0; try < 30; try++ {
		i := g.intn(a.w * a.h)
		if !a.lake[i] || a.c.lab[i] != AerialLake {
			continue
		}
		cx, cy := a.world(i%a.w, i/a.w)
		L := g.uni(4, 15)
		if small || try > 15 {
			L = g.uni(3, 6)
		}
		if a.putBoat(g, cx, cy, L, g.uni(0, 2*math.Pi), true) {
			return true
		}
	}
	return false
}

// putBoat draws a boat hull of length L at (cx, cy) heading ang if it lies
// entirely on water.
func (a *aerialScene) putBoat(g *rng, cx, cy, L, ang float64, wake bool) bool {
	W := L * g.uni(0.3, 0.42)
	cs, sn := math.Cos(ang), math.Sin(ang)
	loc := func(s, t float64) pt { return pt{cx + s*cs - t*sn, cy + s*sn + t*cs} }
	hull := []pt{loc(-L/2, -W/2), loc(L/5, -W/2), loc(L*0.4, -W/3), loc(L/2, 0), loc(L*0.4, W/3), loc(L/5, W/2), loc(-L/2, W/2)}
	ok, any := true, false
	a.fillWorld([][]pt{hull}, func(x, y int) {
		any = true
		if !a.lake[y*a.w+x] || a.c.lab[y*a.w+x] != AerialLake {
			ok = false
		}
	})
	if !ok || !any {
		return false
	}
	if wake {
		// A widening V of brighter water behind the stern (still lake).
		wl := L * g.uni(0.6, 2)
		wp := []pt{loc(-L/2, -W/3), loc(-L/2-wl, -W/3-wl*0.2), loc(-L/2-wl, W/3+wl*0.2), loc(-L/2, W/3)}
		a.fillWorld([][]pt{wp}, func(x, y int) {
			i := y*a.w + x
			if a.c.lab[i] == AerialLake {
				a.c.col[i] = mix(a.c.col[i], rgb(0.85, 0.9, 0.9), 0.12)
			}
		})
	}
	a.shadow(hull, 0.8, func(l uint8) bool { return l == AerialLake })
	hm, dm := a.pal(g), a.pal(g)
	deck := []pt{loc(-L/2+0.4, -W/2+0.4), loc(L/5, -W/2+0.4), loc(L*0.38, 0), loc(L/5, W/2-0.4), loc(-L/2+0.4, W/2-0.4)}
	cabin := []pt{loc(-L/5, -W/4), loc(L/8, -W/4), loc(L/8, W/4), loc(-L/5, W/4)}
	for j, p := range [][]pt{hull, deck, cabin} {
		m := []*material{hm, dm, hm}[j]
		shade := []float64{1, 0.9, 1.15}[j]
		if j == 2 && L < 6 {
			break
		}
		a.fillWorld([][]pt{p}, func(x, y int) {
			wx, wy := a.world(x, y)
			i := y*a.w + x
			a.c.col[i], a.c.lab[i] = m.at(wx, wy, a.gsd).scale(shade), AnomalyLabel
		})
	}
	return true
}

// harbour builds a pier (optionally T-shaped) from the shore into the lake,
// sometimes with boats moored along it. It returns the number of boats.
func (a *aerialScene) harbour(g *rng) (bool, int) {
	if a.nLake == 0 {
		return false, 0
	}
	for try := 0; try < 40; try++ {
		i := g.intn(a.w * a.h)
		if !a.lake[i] {
			continue
		}
		x, y := i%a.w, i/a.w
		// Direction into the lake: mean offset of water pixels nearby; the
		// spot is a shore if some pixels around are land.
		var dx, dy float64
		land := 0
		for oy := -6; oy <= 6; oy++ {
			for ox := -6; ox <= 6; ox++ {
				xx, yy := x+ox, y+oy
				if xx < 0 || yy < 0 || xx >= a.w || yy >= a.h {
					continue
				}
				if a.lake[yy*a.w+xx] {
					dx += float64(ox)
					dy += float64(oy)
				} else {
					land++
				}
			}
		}
		if land < 10 || math.Hypot(dx, dy) < 1 {
			continue
		}
		ang := math.Atan2(dy, dx)
		cs, sn := math.Cos(ang), math.Sin(ang)
		sx, sy := a.world(x, y)
		Lp, Wp := g.uni(8, 30), g.uni(2, 4)
		start := -g.uni(3, 6) // begins on land
		cx, cy := sx+(start+Lp/2)*cs, sy+(start+Lp/2)*sn
		parts := [][]pt{orientedRect(cx, cy, Lp, Wp, ang)}
		if g.chance(0.4) {
			ex, ey := sx+(start+Lp)*cs, sy+(start+Lp)*sn
			parts = append(parts, orientedRect(ex, ey, Wp, g.uni(8, 16), ang))
		}
		wet, all := 0, 0
		for _, p := range parts {
			a.fillWorld([][]pt{p}, func(x, y int) {
				all++
				if a.lake[y*a.w+x] {
					wet++
				}
			})
		}
		if all == 0 || float64(wet) < 0.5*float64(all) {
			continue
		}
		m := a.pal(g)
		planks := &material{pat: patSlats, c0: m.c0, c1: m.c1, bw: g.uni(0.3, 0.6), scale: 2, contrast: 0.6, seed: g.u32()}
		for _, p := range parts {
			a.shadow(p, 1, func(l uint8) bool { return l == AerialLake })
		}
		for _, p := range parts {
			a.fillWorld([][]pt{p}, func(x, y int) {
				wx, wy := a.world(x, y)
				s := (wx-sx)*cs + (wy-sy)*sn
				t := -(wx-sx)*sn + (wy-sy)*cs
				i := y*a.w + x
				a.c.col[i], a.c.lab[i] = planks.at(t, s, a.gsd), AnomalyLabel
			})
		}
		boats := 0
		for k := g.irange(0, 3); k > 0; k-- {
			along := start + g.uni(Lp*0.4, Lp)
			side := g.sign()
			L := g.uni(4, 9)
			off := Wp/2 + L*0.22 + 0.5
			bx := sx + along*cs - side*off*sn
			by := sy + along*sn + side*off*cs
			if a.putBoat(g, bx, by, L, ang+math.Pi*float64(g.intn(2)), false) {
				boats++
			}
		}
		return true, boats
	}
	return false, 0
}

// containers drops a row of shipping containers on open land (val only).
func (a *aerialScene) containers(g *rng, force bool) bool {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	for try := 0; try < 40; try++ {
		n := g.irange(1, 4)
		L := 6.1
		if g.chance(0.5) {
			L = 12.2
		}
		ang := a.theta + float64(g.intn(2))*math.Pi/2 + g.norm(0, 0.1)
		cx, cy := g.uni(0, W), g.uni(0, H)
		cs, sn := math.Cos(ang), math.Sin(ang)
		foot := orientedRect(cx, cy, L+1, 2.5*float64(n)+1, ang)
		if !a.freeOrGround(foot, force || try > 25) {
			continue
		}
		for j := 0; j < n; j++ {
			o := (float64(j) - float64(n-1)/2) * 2.5
			px, py := cx-o*sn, cy+o*cs
			box := orientedRect(px, py, L, 2.4, ang)
			a.shadow(box, 2.6, groundLabel)
			m := a.pal(g)
			rib := &material{pat: patStripes, c0: m.c0, c1: m.c1, bh: 0.3, scale: 3, contrast: 0.4, seed: g.u32()}
			a.fillWorld([][]pt{box}, func(x, y int) {
				wx, wy := a.world(x, y)
				s := (wx-px)*cs + (wy-py)*sn
				t := -(wx-px)*sn + (wy-py)*cs
				i := y*a.w + x
				a.c.col[i], a.c.lab[i] = rib.at(t, s, a.gsd), AnomalyLabel
			})
		}
		a.occupy(foot)
		return true
	}
	return false
}

// tank draws a round storage tank (val only).
func (a *aerialScene) tank(g *rng, force bool) bool {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	for try := 0; try < 40; try++ {
		r := g.uni(3, 8)
		if force || try > 25 {
			r = g.uni(2, 4)
		}
		cx, cy := g.uni(0, W), g.uni(0, H)
		disc := ellipse(cx, cy, r, r, 32)
		if !a.freeOrGround(ellipse(cx, cy, r+1, r+1, 32), force || try > 25) {
			continue
		}
		a.shadow(disc, r*g.uni(0.6, 1.5), groundLabel)
		m := a.pal(g)
		a.fillWorld([][]pt{disc}, func(x, y int) {
			wx, wy := a.world(x, y)
			d := math.Hypot(wx-cx, wy-cy) / r
			k := 1.1 - 0.25*d
			if math.Mod(d*r, 1.5) < 0.3 {
				k *= 0.85 // roof rings
			}
			i := y*a.w + x
			a.c.col[i], a.c.lab[i] = m.at(wx, wy, a.gsd).scale(k), AnomalyLabel
		})
		a.occupy(disc)
		return true
	}
	return false
}

// freeOrGround accepts a footprint on free land, or with relaxed set (the
// last attempts, which matter only for tiny crowded tiles), anywhere off the
// water and off other anomalies.
func (a *aerialScene) freeOrGround(poly []pt, relaxed bool) bool {
	if !relaxed {
		return a.free(poly)
	}
	ok, any := true, false
	a.fillWorld([][]pt{poly}, func(x, y int) {
		any = true
		if l := a.c.lab[y*a.w+x]; l == AerialLake || l == AnomalyLabel {
			ok = false
		}
	})
	return ok && any
}
