package synth

import (
	"math"
)

// Aerial (BSB-like) class ids: the 12 inlier classes of the paper's
// BSB-aerial-OOD (BSB without boat and harbour).
const (
	AerialStreet = iota
	AerialPermeable
	AerialLake
	AerialPool
	AerialVehicle
	AerialSportsCourt
	AerialSoccerField
	AerialCommercialBuilding
	AerialResidentialBuilding
	AerialCommercialBlock
	AerialHouse
	AerialSmallConstruction
	numAerialClasses
)

// AerialClasses names the aerial classes in id order.
var AerialClasses = []string{"street", "permeable area", "lake", "swimming pool", "vehicle", "sports court",
	"soccer field", "commercial building", "residential building", "commercial building block", "house",
	"small construction"}

// AerialColors is the drawing palette of AerialClasses.
var AerialColors = [][3]uint8{{128, 64, 128}, {107, 142, 35}, {0, 80, 160}, {0, 200, 255}, {255, 0, 0},
	{255, 160, 0}, {0, 255, 0}, {140, 0, 140}, {220, 220, 0}, {255, 80, 180}, {200, 120, 60}, {120, 120, 120}}

// Aerial anomaly categories. Test holds out boats and harbours (piers,
// docks) on lakes as the paper does for BSB; val uses a disjoint, land-based
// pair so that calibrating on val never sees a test category.
var (
	AerialValAnomalies  = []string{"container", "tank"}
	AerialTestAnomalies = []string{"boat", "harbour"}
)

// street is an infinite straight road strip in world metres.
type street struct {
	nx, ny, off, width float64 // points p with |p·n − off| < width/2
	mark               bool
}

// aerialScene renders top-down tiles; world coordinates are metres, x to
// the right and y down, one pixel is gsd metres.
type aerialScene struct {
	w, h     int
	gsd      float64
	theta    float64 // street grid orientation
	zone     int     // 0 residential, 1 apartments, 2 commercial, 3 park/lakeside
	c        *canvas
	occ      []bool // footprint occupancy for placement
	lake     []bool
	streets  []street
	sunX     float64 // shadow offset per metre of height
	sunY     float64
	shadowK  float64
	palette  []*material
	roofCols []color
	nLake    int
}

// renderAerial generates and renders one aerial tile.
func renderAerial(g *rng, h, w int, split string, cats []string) (*Sample, *aerialScene) {
	a := &aerialScene{w: w, h: h, gsd: g.uni(0.35, 0.6), c: newCanvas(w, h), occ: make([]bool, w*h), lake: make([]bool, w*h)}
	a.zone = g.weighted([]float64{0.35, 0.2, 0.25, 0.2})
	a.theta = g.uni(0, math.Pi/2)
	if g.chance(0.4) {
		a.theta = 0
	}
	sunA := g.uni(0, 2*math.Pi)
	k := g.uni(0.3, 1.2)
	a.sunX, a.sunY = k*math.Cos(sunA), k*math.Sin(sunA)
	a.shadowK = g.uni(0.45, 0.7)
	for i := 0; i < 6; i++ {
		a.roofCols = append(a.roofCols, roofColor(g))
	}

	a.drawGround(g)
	lakeP := []float64{0.3, 0.3, 0.2, 0.7}[a.zone]
	switch {
	case split == "test":
		a.drawLake(g, 0.12, 0.85) // boats and harbours need water
	case g.chance(lakeP):
		a.drawLake(g, 0.03, 0.7) // leave land for val's containers and tanks
	}
	a.drawStreets(g)
	a.drawCourts(g) // before buildings: they need the most room
	a.drawBuildings(g)
	a.drawVehicles(g)
	a.drawTrees(g)
	var names []string
	if len(cats) > 0 {
		names = a.placeAnomalies(g, cats)
	}
	c := a.c
	haze := greyish(g, 0.6, 0.8)
	hz := g.uni(0, 0.2)
	for i := range c.col {
		c.col[i] = mix(c.col[i], haze, hz)
	}
	c.boxBlur3(g.uni(0.1, 0.7))
	tint := color{g.uni(0.92, 1.08), g.uni(0.95, 1.05), g.uni(0.92, 1.08)}
	pix := c.finish(g, g.uni(0.85, 1.2), tint, g.uni(0.85, 1.15), g.uni(0, 0.2), g.uni(0.004, 0.025))
	s := toSample(c, pix, false)
	s.Anomalies = names
	return s, a
}

// roofColor draws from the palette shared by all roof types (and reused by
// anomalies): greys, concrete, terracotta, blue metal.
func roofColor(g *rng) color {
	switch g.intn(5) {
	case 0, 1:
		return greyish(g, 0.35, 0.9)
	case 2:
		return hsv(g.uni(0.01, 0.07), g.uni(0.4, 0.7), g.uni(0.35, 0.7))
	case 3:
		return hsv(g.uni(0.55, 0.62), g.uni(0.2, 0.5), g.uni(0.4, 0.75))
	}
	return warm(g, 0.4, 0.8)
}

// world returns the world point at the centre of pixel (x, y).
func (a *aerialScene) world(x, y int) (float64, float64) {
	return (float64(x) + 0.5) * a.gsd, (float64(y) + 0.5) * a.gsd
}

// fillWorld rasterises world-space contours.
func (a *aerialScene) fillWorld(contours [][]pt, fn func(x, y int)) {
	scr := make([][]pt, len(contours))
	for k, c := range contours {
		scr[k] = make([]pt, len(c))
		for i, p := range c {
			scr[k][i] = pt{p.x / a.gsd, p.y / a.gsd}
		}
	}
	a.c.fill(scr, fn)
}

// free reports whether a footprint (inflated by the caller) is free of
// occupied pixels and lies at least partly inside the tile.
func (a *aerialScene) free(poly []pt) bool {
	ok, any := true, false
	a.fillWorld([][]pt{poly}, func(x, y int) {
		any = true
		if a.occ[y*a.w+x] {
			ok = false
		}
	})
	return ok && any
}

func (a *aerialScene) occupy(poly []pt) {
	a.fillWorld([][]pt{poly}, func(x, y int) { a.occ[y*a.w+x] = true })
}

// shadow darkens ground pixels the object of the given footprint and height
// shades (the footprint swept along the sun direction).
func (a *aerialScene) shadow(poly []pt, height float64, keep func(lab uint8) bool) {
	c := a.c
	c.stamp++
	st := c.stamp
	for step := 1; step <= 4; step++ {
		t := height * float64(step) / 4
		sh := make([]pt, len(poly))
		for i, p := range poly {
			sh[i] = pt{p.x + a.sunX*t, p.y + a.sunY*t}
		}
		a.fillWorld([][]pt{sh}, func(x, y int) {
			i := y*c.w + x
			if c.mark[i] == st || !keep(c.lab[i]) {
				return
			}
			c.mark[i] = st
			c.col[i] = c.col[i].scale(a.shadowK)
		})
	}
}

func groundLabel(l uint8) bool {
	return l == AerialPermeable || l == AerialStreet || l == AerialLake || l == AerialPool ||
		l == AerialSportsCourt || l == AerialSoccerField
}

func (a *aerialScene) drawGround(g *rng) {
	grass := terrainMat(g)
	grass.scale = g.uni(5, 25)
	soil := &material{pat: patNoise, c0: hsv(g.uni(0.05, 0.11), g.uni(0.2, 0.5), g.uni(0.35, 0.65)), scale: g.uni(2, 10), contrast: 0.7, seed: g.u32()}
	soil.c1 = vary(g, soil.c0.scale(0.85), 0.1)
	a.palette = append(a.palette, grass, soil)
	seed := g.u32()
	bare := g.uni(0.2, 0.8)
	for y := 0; y < a.h; y++ {
		for x := 0; x < a.w; x++ {
			wx, wy := a.world(x, y)
			i := y*a.w + x
			m := fbm(wx/40, wy/40, 3, seed, 0)
			col := grass.at(wx, wy, a.gsd)
			if m > bare {
				col = mix(col, soil.at(wx, wy, a.gsd), smoothstep(bare, bare+0.08, m))
			}
			a.c.col[i], a.c.lab[i] = col, AerialPermeable
		}
	}
}

// drawLake floods a region bounded by a noisy shoreline: either a blob or a
// half-plane, so some tiles show a whole pond and others a lake shore. The
// shape is redrawn (up to a bound) until water covers between minFrac and
// maxFrac of the tile.
func (a *aerialScene) drawLake(g *rng, minFrac, maxFrac float64) {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	var (
		cx, cy, R, nx, ny, amp float64
		half                   bool
		seed                   uint32
	)
	for try := 0; try < 20; try++ {
		cx, cy = g.uni(0, W), g.uni(0, H)
		R = g.uni(0.25, 0.6) * math.Min(W, H)
		half = g.chance(0.5)
		na := g.uni(0, 2*math.Pi)
		nx, ny = math.Cos(na), math.Sin(na)
		amp = g.uni(0.1, 0.35)
		seed = g.u32()
		if try == 19 {
			half, R, amp = false, 0.4*math.Min(W, H), 0.1
			cx, cy = W/2, H/2
		}
		n := 0
		for y := 0; y < a.h; y += 2 {
			for x := 0; x < a.w; x += 2 {
				wx, wy := a.world(x, y)
				if lakeShape(wx, wy, cx, cy, R, nx, ny, amp, half, seed) < 0 {
					n++
				}
			}
		}
		cells := float64(((a.w + 1) / 2) * ((a.h + 1) / 2))
		if f := float64(n) / cells; f >= minFrac && f <= maxFrac {
			break
		}
	}
	water := hsv(g.uni(0.42, 0.6), g.uni(0.3, 0.7), g.uni(0.15, 0.4))
	if g.chance(0.25) {
		water = hsv(g.uni(0.12, 0.25), g.uni(0.3, 0.6), g.uni(0.2, 0.4)) // murky green-brown
	}
	wm := &material{pat: patNoise, c0: water, c1: vary(g, water.scale(1.25), 0.1), scale: g.uni(3, 15), contrast: 0.5, seed: g.u32()}
	shore := hsv(g.uni(0.08, 0.14), g.uni(0.2, 0.4), g.uni(0.45, 0.7))
	shoreW := g.uni(0, 3)
	lakeFn := func(wx, wy float64) float64 {
		return lakeShape(wx, wy, cx, cy, R, nx, ny, amp, half, seed)
	}
	for y := 0; y < a.h; y++ {
		for x := 0; x < a.w; x++ {
			wx, wy := a.world(x, y)
			d := lakeFn(wx, wy) * R // ~ metres from the shore
			i := y*a.w + x
			if d < 0 {
				col := wm.at(wx, wy, a.gsd)
				col = mix(col.scale(1.2), col, smoothstep(0, 8, -d)) // shallow rim
				a.c.col[i], a.c.lab[i] = col, AerialLake
				a.lake[i], a.occ[i] = true, true
				a.nLake++
			} else if d < shoreW {
				a.c.col[i] = mix(shore, a.c.col[i], d/math.Max(shoreW, 1e-9))
				a.occ[i] = true
			} else if d < shoreW+3 {
				a.occ[i] = true
			}
		}
	}
	a.palette = append(a.palette, wm)
}

// lakeShape is a signed shoreline function, negative on water, in units of R.
func lakeShape(wx, wy, cx, cy, R, nx, ny, amp float64, half bool, seed uint32) float64 {
	n := fbm(wx/30, wy/30, 3, seed, 0) - 0.5
	if half {
		return ((wx-cx)*nx+(wy-cy)*ny)/R + 2*amp*n
	}
	return math.Hypot(wx-cx, wy-cy)/R - 1 + 2*amp*n
}

// drawStreets lays a rectilinear street grid (Brasília is planned).
func (a *aerialScene) drawStreets(g *rng) {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	asph := greyish(g, 0.2, 0.5)
	road := &material{pat: patAsphalt, c0: asph, c1: vary(g, asph.scale(g.uni(0.8, 1.2)), 0.05), scale: g.uni(2, 8), contrast: 0.6, seed: g.u32()}
	walk := &material{pat: patNoise, c0: wallColor(g, 0.45, 0.8), scale: 2, contrast: 0.4, seed: g.u32()}
	walk.c1 = walk.c0.scale(0.9)
	mark := rgb(0.9, 0.9, 0.85)
	if g.chance(0.3) {
		mark = rgb(0.9, 0.75, 0.2)
	}
	a.palette = append(a.palette, road, walk)
	n := []int{2, 1, 2, 1}[a.zone]
	for dir := 0; dir < 2; dir++ {
		ang := a.theta + float64(dir)*math.Pi/2
		nx, ny := math.Cos(ang), math.Sin(ang)
		// Range of p·n over the tile corners.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, c := range [4][2]float64{{0, 0}, {W, 0}, {0, H}, {W, H}} {
			v := c[0]*nx + c[1]*ny
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		k := g.irange(0, n)
		for j := 0; j < k; j++ {
			st := street{nx: nx, ny: ny, off: g.uni(lo, hi), width: g.uni(6, 13)}
			st.mark = st.width > 9
			a.streets = append(a.streets, st)
		}
	}
	dash := g.uni(3, 6)
	for y := 0; y < a.h; y++ {
		for x := 0; x < a.w; x++ {
			i := y*a.w + x
			if a.lake[i] {
				continue
			}
			wx, wy := a.world(x, y)
			for _, st := range a.streets {
				d := wx*st.nx + wy*st.ny - st.off
				ad := math.Abs(d)
				if ad >= st.width/2+1.5 {
					continue
				}
				a.occ[i] = true
				if a.c.lab[i] != AerialPermeable || a.nearLake(x, y) {
					continue
				}
				along := -wx*st.ny + wy*st.nx
				var col color
				switch {
				case ad > st.width/2:
					col = walk.at(along, d, a.gsd) // sidewalk, part of "street"
				case st.mark && ad < 0.12 && math.Mod(math.Abs(along), 2*dash) < dash:
					col = mark
				default:
					col = road.at(along, d, a.gsd)
				}
				a.c.col[i], a.c.lab[i] = col, AerialStreet
			}
		}
	}
}

func (a *aerialScene) nearLake(x, y int) bool {
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			xx, yy := x+dx, y+dy
			if xx >= 0 && yy >= 0 && xx < a.w && yy < a.h && a.lake[yy*a.w+xx] {
				return true
			}
		}
	}
	return false
}

// buildingType holds the footprint ranges of one building class.
type buildingType struct {
	label      uint8
	lmin, lmax float64 // length (m)
	wmin, wmax float64 // width (m)
	hmin, hmax float64 // height (m), for shadows
	pat        int
}

var buildingTypes = []buildingType{
	{AerialHouse, 8, 16, 6, 12, 3, 7, patTiles},
	{AerialResidentialBuilding, 30, 70, 11, 16, 10, 25, patNoise},
	{AerialCommercialBuilding, 18, 45, 15, 35, 5, 15, patStripes},
	{AerialCommercialBlock, 35, 90, 9, 14, 4, 9, patNoise},
	{AerialSmallConstruction, 3, 8, 2.5, 6, 2, 3.5, patStripes},
}

func (a *aerialScene) drawBuildings(g *rng) {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	weights := [][]float64{ // house, residential, commercial, block, small
		{0.7, 0.03, 0.03, 0.04, 0.2},
		{0.1, 0.6, 0.05, 0.1, 0.15},
		{0.05, 0.05, 0.45, 0.35, 0.1},
		{0.3, 0.1, 0.1, 0.1, 0.4},
	}[a.zone]
	tries := int(W * H / 12)
	for t := 0; t < tries; t++ {
		bt := buildingTypes[g.weighted(weights)]
		L, Wd := g.uni(bt.lmin, bt.lmax), g.uni(bt.wmin, bt.wmax)
		ang := a.theta + float64(g.intn(2))*math.Pi/2 + g.norm(0, 0.02)
		cx, cy := g.uni(-L/3, W+L/3), g.uni(-L/3, H+L/3)
		if !a.free(orientedRect(cx, cy, L+2.5, Wd+2.5, ang)) {
			continue
		}
		fp := orientedRect(cx, cy, L, Wd, ang)
		height := g.uni(bt.hmin, bt.hmax)
		a.shadow(fp, height, groundLabel)
		a.roof(g, bt, cx, cy, L, Wd, ang)
		a.occupy(orientedRect(cx, cy, L+2, Wd+2, ang))
		if bt.label == AerialHouse && g.chance(0.45) {
			a.pool(g, cx, cy, L, Wd, ang)
		}
	}
}

// roof paints a building roof in its local frame (s along L, t along W).
func (a *aerialScene) roof(g *rng, bt buildingType, cx, cy, L, Wd, ang float64) {
	col := a.roofCols[g.intn(len(a.roofCols))]
	if bt.label == AerialHouse && g.chance(0.5) {
		col = hsv(g.uni(0.01, 0.07), g.uni(0.4, 0.7), g.uni(0.35, 0.7)) // tiles
	}
	m := &material{pat: bt.pat, c0: col, c1: vary(g, col, 0.12), scale: g.uni(2, 8), contrast: g.uni(0.3, 0.8), bh: g.uni(0.3, 0.8), seed: g.u32()}
	if len(a.palette) < 24 {
		a.palette = append(a.palette, m)
	}
	cs, sn := math.Cos(ang), math.Sin(ang)
	units := 1
	if bt.label == AerialCommercialBlock {
		units = g.irange(3, 8)
	}
	unitShade := make([]float64, units)
	for i := range unitShade {
		unitShade[i] = g.uni(0.85, 1.15)
	}
	// Rooftop boxes (water tanks, HVAC) on flat roofs.
	type box struct{ s, t, hs, ht float64 }
	var boxes []box
	if bt.label != AerialHouse {
		for n := g.irange(0, 4); n > 0; n-- {
			boxes = append(boxes, box{g.uni(-L/2+2, L/2-2), g.uni(-Wd/2+2, Wd/2-2), g.uni(0.6, 2.5), g.uni(0.6, 2.5)})
		}
	}
	sunS := a.sunX*cs + a.sunY*sn
	sunT := -a.sunX*sn + a.sunY*cs
	a.fillWorld([][]pt{orientedRect(cx, cy, L, Wd, ang)}, func(x, y int) {
		wx, wy := a.world(x, y)
		dx, dy := wx-cx, wy-cy
		s, t := dx*cs+dy*sn, -dx*sn+dy*cs
		c := m.at(s, t, a.gsd)
		switch bt.label {
		case AerialHouse:
			// Gable roof: the two slopes catch the sun differently.
			if (t > 0) == (sunT > 0) {
				c = c.scale(0.72)
			}
			if math.Abs(t) < 0.25 {
				c = c.scale(0.85)
			}
		default:
			if math.Abs(s) > L/2-0.5 || math.Abs(t) > Wd/2-0.5 {
				c = c.scale(1.15) // parapet
			}
			if units > 1 {
				u := min(units-1, int((s+L/2)/L*float64(units)))
				c = c.scale(unitShade[u])
			}
			for _, b := range boxes {
				if math.Abs(s-b.s) < b.hs && math.Abs(t-b.t) < b.ht {
					c = c.scale(1.2)
				} else if math.Abs(s-b.s-sunS) < b.hs && math.Abs(t-b.t-sunT) < b.ht {
					c = c.scale(0.7)
				}
			}
		}
		i := y*a.w + x
		a.c.col[i], a.c.lab[i] = c, bt.label
	})
}

// pool puts a swimming pool in the yard beside a house.
func (a *aerialScene) pool(g *rng, cx, cy, L, Wd, ang float64) {
	pl, pw := g.uni(3, 10), g.uni(2, 5)
	side := g.sign()
	d := Wd/2 + pw/2 + g.uni(1.5, 4)
	px, py := cx-side*d*math.Sin(ang), cy+side*d*math.Cos(ang)
	poly := orientedRect(px, py, pl, pw, ang)
	if !a.free(orientedRect(px, py, pl+1, pw+1, ang)) {
		return
	}
	water := hsv(g.uni(0.47, 0.56), g.uni(0.4, 0.85), g.uni(0.5, 0.9))
	if g.chance(0.2) {
		water = hsv(g.uni(0.3, 0.5), g.uni(0.3, 0.6), g.uni(0.25, 0.45)) // neglected pool
	}
	edge := greyish(g, 0.7, 0.9)
	cs, sn := math.Cos(ang), math.Sin(ang)
	seed := g.u32()
	a.fillWorld([][]pt{poly}, func(x, y int) {
		wx, wy := a.world(x, y)
		dx, dy := wx-px, wy-py
		s, t := dx*cs+dy*sn, -dx*sn+dy*cs
		c := water.scale(0.9 + 0.2*valueNoise(s, t, seed))
		if math.Abs(s) > pl/2-0.4 || math.Abs(t) > pw/2-0.4 {
			c = edge
		}
		i := y*a.w + x
		a.c.col[i], a.c.lab[i] = c, AerialPool
	})
	a.occupy(poly)
}

// drawCourts places sports courts and small soccer fields.
func (a *aerialScene) drawCourts(g *rng) {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	n := g.irange(0, []int{1, 2, 1, 3}[a.zone]) + g.weighted([]float64{0.6, 0.4})
	for k := 0; k < n; k++ {
		soccer := g.chance(0.4)
		L, Wd := g.uni(15, 28), g.uni(8, 15)
		lab := uint8(AerialSportsCourt)
		surf := []color{hsv(g.uni(0.3, 0.4), 0.5, g.uni(0.3, 0.5)), hsv(g.uni(0.55, 0.62), 0.5, g.uni(0.35, 0.6)),
			hsv(g.uni(0.02, 0.06), 0.55, g.uni(0.4, 0.6)), greyish(g, 0.35, 0.6)}[g.intn(4)]
		if soccer {
			L, Wd = g.uni(25, 45), g.uni(15, 28)
			lab = AerialSoccerField
			surf = hsv(g.uni(0.2, 0.33), g.uni(0.4, 0.7), g.uni(0.3, 0.55))
		}
		ang := a.theta + float64(g.intn(2))*math.Pi/2
		var cx, cy float64
		placed := false
		for try := 0; try < 25 && !placed; try++ {
			cx, cy = g.uni(-L/4, W+L/4), g.uni(-L/4, H+L/4)
			placed = a.free(orientedRect(cx, cy, L+3, Wd+3, ang))
		}
		if !placed {
			continue
		}
		cs, sn := math.Cos(ang), math.Sin(ang)
		m := &material{pat: patNoise, c0: surf, c1: vary(g, surf.scale(1.1), 0.05), scale: 4, contrast: 0.4, seed: g.u32()}
		line := greyish(g, 0.8, 0.95)
		stripe := g.uni(3, 6)
		a.fillWorld([][]pt{orientedRect(cx, cy, L, Wd, ang)}, func(x, y int) {
			wx, wy := a.world(x, y)
			dx, dy := wx-cx, wy-cy
			s, t := dx*cs+dy*sn, -dx*sn+dy*cs
			c := m.at(s, t, a.gsd)
			if soccer && int(math.Floor((s+L)/stripe))%2 == 0 {
				c = c.scale(1.1) // mowing stripes
			}
			lw := 0.6 * a.gsd
			r := math.Hypot(s, t)
			if math.Abs(math.Abs(s)-(L/2-1)) < lw && math.Abs(t) < Wd/2-1+lw ||
				math.Abs(math.Abs(t)-(Wd/2-1)) < lw && math.Abs(s) < L/2-1+lw ||
				math.Abs(s) < lw && math.Abs(t) < Wd/2-1 ||
				math.Abs(r-Wd*0.18) < lw {
				c = line
			}
			i := y*a.w + x
			a.c.col[i], a.c.lab[i] = c, lab
		})
		a.occupy(orientedRect(cx, cy, L+2, Wd+2, ang))
	}
}

// vehicle paints one car or bus at (cx, cy) heading ang.
func (a *aerialScene) vehicle(g *rng, cx, cy, ang float64) bool {
	L, Wd := g.uni(4, 5), g.uni(1.7, 2)
	if g.chance(0.05) {
		L, Wd = g.uni(9, 12), 2.5
	}
	fp := orientedRect(cx, cy, L+0.8, Wd+0.8, ang)
	ok := true
	a.fillWorld([][]pt{fp}, func(x, y int) {
		l := a.c.lab[y*a.w+x]
		if l != AerialStreet && l != AerialPermeable {
			ok = false
		}
	})
	if !ok {
		return false
	}
	body := paint(g)
	glass := greyish(g, 0.05, 0.2)
	cs, sn := math.Cos(ang), math.Sin(ang)
	poly := orientedRect(cx, cy, L, Wd, ang)
	a.shadow(poly, 1.5, func(l uint8) bool { return l == AerialStreet || l == AerialPermeable })
	a.fillWorld([][]pt{poly}, func(x, y int) {
		wx, wy := a.world(x, y)
		dx, dy := wx-cx, wy-cy
		s, t := dx*cs+dy*sn, -dx*sn+dy*cs
		c := body
		if (s > L*0.12 && s < L*0.3) || (s < -L*0.28 && s > -L*0.4) {
			c = glass
		} else if math.Abs(t) > Wd/2-0.25 {
			c = body.scale(0.8)
		}
		i := y*a.w + x
		a.c.col[i], a.c.lab[i] = c, AerialVehicle
	})
	return true
}

func (a *aerialScene) drawVehicles(g *rng) {
	for _, st := range a.streets {
		n := g.irange(0, []int{3, 3, 6, 2}[a.zone])
		span := float64(a.w+a.h) * a.gsd
		for k := 0; k < n; k++ {
			along := g.uni(-span, span)
			lat := st.off + g.sign()*st.width*g.uni(0.15, 0.3)
			cx, cy := lat*st.nx-along*st.ny, lat*st.ny+along*st.nx
			ang := math.Atan2(st.nx, -st.ny)
			if g.chance(0.5) {
				ang += math.Pi
			}
			a.vehicle(g, cx, cy, ang)
		}
	}
	// Parking rows beside commercial buildings.
	if a.zone == 2 || g.chance(0.2) {
		W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
		for k := g.irange(0, 2); k > 0; k-- {
			cx, cy := g.uni(0, W), g.uni(0, H)
			cs, sn := math.Cos(a.theta), math.Sin(a.theta)
			for j, n := 0, g.irange(3, 10); j < n; j++ {
				d := float64(j) * 2.6
				if g.chance(0.7) {
					a.vehicle(g, cx+d*cs, cy+d*sn, a.theta+math.Pi/2)
				}
			}
		}
	}
}

// drawTrees scatters tree crowns over yards and sidewalks; a tree counts as
// permeable area (BSB has no tree class), which makes that class varied.
func (a *aerialScene) drawTrees(g *rng) {
	W, H := float64(a.w)*a.gsd, float64(a.h)*a.gsd
	veg := []*material{vegMat(g), vegMat(g)}
	for _, m := range veg {
		m.scale *= 2
	}
	a.palette = append(a.palette, veg[0])
	n := int(W * H / 400 * []float64{1, 1.5, 0.5, 2}[a.zone] * g.uni(0.2, 1.5))
	for k := 0; k < n; k++ {
		cx, cy := g.uni(0, W), g.uni(0, H)
		r := g.uni(1.5, 6)
		i := min(a.h-1, max(0, int(cy/a.gsd)))*a.w + min(a.w-1, max(0, int(cx/a.gsd)))
		if l := a.c.lab[i]; l != AerialPermeable && l != AerialStreet {
			continue
		}
		crown := blob(g, cx, cy, r, r*g.uni(0.8, 1.2), 0.35, 24)
		canopy := func(l uint8) bool { return l == AerialPermeable || l == AerialStreet }
		a.shadow(crown, r*1.5, canopy)
		m := veg[g.intn(len(veg))]
		a.fillWorld([][]pt{crown}, func(x, y int) {
			i := y*a.w + x
			if !canopy(a.c.lab[i]) {
				return
			}
			wx, wy := a.world(x, y)
			// Lit on the side facing the sun, darker on the other.
			k := 1 - 0.25*((wx-cx)*a.sunX+(wy-cy)*a.sunY)/(r*math.Hypot(a.sunX, a.sunY)+1e-9)
			a.c.col[i], a.c.lab[i] = m.at(wx, wy, a.gsd).scale(k), AerialPermeable
		})
	}
}
