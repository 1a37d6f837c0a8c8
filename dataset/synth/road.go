package synth

import (
	"math"
)

// Road scene class ids (StreetHazards-like).
const (
	RoadSky = iota
	RoadBuilding
	RoadWall
	RoadFence
	RoadSidewalk
	RoadRoad
	RoadLaneMarking
	RoadVegetation
	RoadTerrain
	RoadPole
	RoadTrafficSign
	RoadCar
	RoadPedestrian
	numRoadClasses
)

// RoadClasses names the road classes in id order.
var RoadClasses = []string{"sky", "building", "wall", "fence", "sidewalk", "road", "lane marking",
	"vegetation", "terrain", "pole", "traffic sign", "car", "pedestrian"}

// RoadColors is a Cityscapes-like drawing palette for RoadClasses.
var RoadColors = [][3]uint8{{70, 130, 180}, {70, 70, 70}, {102, 102, 156}, {190, 153, 153},
	{244, 35, 232}, {128, 64, 128}, {255, 255, 255}, {107, 142, 35}, {152, 251, 152},
	{153, 153, 153}, {220, 220, 0}, {0, 0, 142}, {220, 20, 60}}

// Anomaly categories of the road benchmark. The train split has none; val
// and test draw from disjoint sets, so a threshold calibrated on val has
// never seen a test category.
var (
	RoadValAnomalies  = []string{"crate", "tyre", "barrel"}
	RoadTestAnomalies = []string{"animal", "rock", "debris"}
)

// Camera and anomaly placement ranges of the road benchmark.
const (
	roadAnomalyMinZ = 5.0  // metres, as the paper's 5-50 m
	roadAnomalyMaxZ = 50.0 // metres
)

// camera is a pinhole camera looking along +Z with zero roll, hc metres above
// a flat ground plane. A world point (X lateral, Y height, Z forward)
// projects to u = u0 + f·X/Z, v = v0 + f·(hc−Y)/Z, so the ground (Y = 0)
// seen at image row v lies at depth Z = f·hc/(v−v0): depth grows toward the
// horizon row v0.
type camera struct{ f, u0, v0, hc float64 }

func (c camera) project(X, Y, Z float64) pt {
	return pt{c.u0 + c.f*X/Z, c.v0 + c.f*(c.hc-Y)/Z}
}

// Lot kinds: vertical surfaces lining the road.
const (
	lotBuilding = iota
	lotWall
	lotFence
	lotHedge
	lotForest
)

// lot is a stretch [z0, z1] of vertical surface parallel to the road at a
// lateral offset off beyond the road edge on one side (-1 left, +1 right).
type lot struct {
	kind             int
	side             float64
	z0, z1           float64
	off              float64
	height           float64
	topAmp, topScale float64 // noisy top edge (hedges, forests)
	depth            float64 // building depth, for the visible end face
	slat, slatFill   float64 // fence slat period (m) and opaque fraction
	mat              *material
	label            uint8
	seed             uint32
}

// part is one polygon of a sprite in sprite-local metres: x lateral from
// the anchor, y height above the ground.
type part struct {
	poly  [][]pt
	mat   *material
	label uint8
	shade float64
}

// sprite is an upright object standing on the ground at (X, Z), drawn at a
// single depth Z (objects are thin compared with their distance).
type sprite struct {
	X, Z    float64
	parts   []part
	radius  float64 // ground footprint radius for collision tests
	anomaly string
}

// shadow is a soft dark ellipse on the ground under an object.
type shadow struct{ X, Z, rx, rz, k float64 }

// roadScene is the full random description of one road image; rendering is
// a pure function of it.
type roadScene struct {
	w, h      int
	cam       camera
	x0, tY, k float64 // road centre xc(Z) = x0 + tY·Z + k·Z²
	rw, lw    float64 // road and lane width
	lanes     int
	sw        [2]float64 // sidewalk width left, right
	urban     int        // 0 rural, 1 suburban, 2 urban
	markW     float64
	dashP     float64 // dash period; dash fraction dashF
	dashF     float64
	dashPh    float64
	solidMid  bool
	edgeLines bool
	cross     [2]float64 // crosswalk z range (empty if cross[1] <= cross[0])
	wear      float64

	mats struct {
		road, mark, side, terrain, pole *material
	}
	palette []*material // inlier materials anomalies may borrow

	lots    []lot
	sprites []*sprite
	shadows []shadow

	backdrop struct {
		z, height float64
		city      bool
		mat       *material
		seed      uint32
	}

	sky struct {
		horizon, zenith, cloud color
		cover                  float64
		seed                   uint32
	}
	fogCol  color
	fogDist float64

	sunSide   float64 // side the sun comes from (-1 left, +1 right), 0 overcast
	sunCot    float64 // cot(sun elevation): shadow length per metre of height
	shadowK   float64 // ground brightness in shadow
	hood      float64 // ego-vehicle bonnet height as a fraction of h (0 none)
	hoodMat   *material
	post      postFX
	anomalies []*sprite
}

type postFX struct {
	gain, gamma, vignette, noise, blur float64
	tint                               color
}

func (s *roadScene) xc(Z float64) float64 { return s.x0 + s.tY*Z + s.k*Z*Z }

// genRoadScene draws the random scene description. Anomalies are placed
// later, against the rendered depth buffer (see placeAnomalies).
func genRoadScene(g *rng, h, w int) *roadScene {
	s := &roadScene{w: w, h: h}
	hfov := g.uni(55, 85) * math.Pi / 180
	f := float64(w) / 2 / math.Tan(hfov/2)
	s.cam = camera{f: f, u0: float64(w) * g.uni(0.47, 0.53), v0: float64(h) * g.uni(0.36, 0.5), hc: g.uni(1.2, 1.9)}

	s.urban = g.weighted([]float64{0.25, 0.3, 0.45})
	s.lanes = 1 + g.weighted([]float64{0.15, 0.5, 0.15, 0.2})
	s.lw = g.uni(2.8, 3.7)
	if s.lanes == 1 {
		s.lw = g.uni(3.5, 5.5)
	}
	s.rw = float64(s.lanes) * s.lw
	if s.urban == 2 && g.chance(0.5) {
		s.rw += 2 * g.uni(1.8, 2.4) // parking lanes
	}
	// The camera drives in one lane; the road centre sits at x0.
	ego := g.intn(s.lanes)
	laneC := -float64(s.lanes)/2*s.lw + (float64(ego)+0.5)*s.lw
	if s.lanes == 2 {
		laneC = 0.5 * s.lw // keep right on two-lane roads
	}
	s.x0 = -laneC + g.norm(0, 0.25)
	s.tY = g.uni(-0.06, 0.06)
	if g.chance(0.5) {
		s.k = g.uni(-0.0025, 0.0025)
	}
	for i := range s.sw {
		switch s.urban {
		case 2:
			s.sw[i] = g.uni(2, 5)
		case 1:
			s.sw[i] = g.uni(1.2, 3)
		default:
			if g.chance(0.25) {
				s.sw[i] = g.uni(0.8, 1.8)
			}
		}
	}
	s.markW = g.uni(0.12, 0.25)
	s.dashP = g.uni(6, 12)
	s.dashF = g.uni(0.3, 0.5)
	s.dashPh = g.uni(0, s.dashP)
	s.solidMid = g.chance(0.3)
	s.edgeLines = s.urban < 2 && g.chance(0.6)
	if s.urban > 0 && g.chance(0.35) {
		z := g.uni(8, 35)
		s.cross = [2]float64{z, z + g.uni(3, 5)}
	}
	s.wear = g.uni(0, 0.35)

	s.genMaterials(g)
	s.genLighting(g)
	s.genLots(g)
	s.genBackdrop(g)
	s.genObjects(g)
	return s
}

// greyish returns a low-saturation colour of value in [vlo, vhi].
func greyish(g *rng, vlo, vhi float64) color {
	return hsv(g.uni(0, 1), g.uni(0, 0.08), g.uni(vlo, vhi))
}

// warm returns a beige, brick or brown colour of value in [vlo, vhi].
func warm(g *rng, vlo, vhi float64) color {
	return hsv(g.uni(0.02, 0.14), g.uni(0.1, 0.5), g.uni(vlo, vhi))
}

// wallColor draws from the palette shared by buildings, walls and sidewalks,
// so these classes overlap in colour.
func wallColor(g *rng, vlo, vhi float64) color {
	if g.chance(0.5) {
		return greyish(g, vlo, vhi)
	}
	return warm(g, vlo, vhi)
}

func paint(g *rng) color {
	if g.chance(0.4) {
		return greyish(g, 0.08, 0.9)
	}
	return hsv(g.uni(0, 1), g.uni(0.3, 0.85), g.uni(0.2, 0.8))
}

func vary(g *rng, c color, k float64) color {
	return color{c[0] * g.uni(1-k, 1+k), c[1] * g.uni(1-k, 1+k), c[2] * g.uni(1-k, 1+k)}
}

func (s *roadScene) genMaterials(g *rng) {
	m := &s.mats
	a := greyish(g, 0.18, 0.5)
	m.road = &material{pat: patAsphalt, c0: a, c1: vary(g, a.scale(g.uni(0.7, 1.25)), 0.05), scale: g.uni(1.5, 5), contrast: g.uni(0.3, 1), seed: g.u32()}
	if g.chance(0.2) {
		m.mark = &material{pat: patNoise, c0: hsv(g.uni(0.1, 0.15), g.uni(0.5, 0.8), g.uni(0.6, 0.9)), scale: 0.5, contrast: 0.3, seed: g.u32()}
	} else {
		m.mark = &material{pat: patNoise, c0: greyish(g, 0.65, 0.95), scale: 0.5, contrast: 0.3, seed: g.u32()}
	}
	m.mark.c1 = m.mark.c0.scale(0.8)
	sc := wallColor(g, 0.3, 0.75)
	if g.chance(0.5) {
		m.side = &material{pat: patBrick, c0: sc, c1: vary(g, sc, 0.15), c2: sc.scale(0.7), bw: g.uni(0.25, 0.6), bh: g.uni(0.2, 0.4), scale: 2, contrast: 0.8, seed: g.u32()}
	} else {
		m.side = &material{pat: patNoise, c0: sc, c1: vary(g, sc.scale(0.85), 0.1), scale: g.uni(0.5, 3), contrast: 0.6, seed: g.u32()}
	}
	m.terrain = terrainMat(g)
	m.pole = &material{pat: patNoise, c0: greyish(g, 0.2, 0.6), scale: 0.5, contrast: 0.3, seed: g.u32()}
	if g.chance(0.3) {
		m.pole.c0 = hsv(g.uni(0.25, 0.45), 0.4, g.uni(0.15, 0.35))
	}
	m.pole.c1 = m.pole.c0.scale(0.8)
	s.palette = append(s.palette, m.road, m.side, m.terrain, m.pole)
}

func terrainMat(g *rng) *material {
	grass := hsv(g.uni(0.14, 0.28), g.uni(0.3, 0.6), g.uni(0.25, 0.6))
	dirt := hsv(g.uni(0.06, 0.11), g.uni(0.2, 0.5), g.uni(0.25, 0.55))
	c0, c1 := grass, dirt
	if g.chance(0.3) {
		c0, c1 = dirt, grass
	}
	return &material{pat: patNoise, c0: c0, c1: mix(c0, c1, g.uni(0.3, 1)), scale: g.uni(1, 6), contrast: g.uni(0.5, 1), seed: g.u32()}
}

func vegMat(g *rng) *material {
	h := g.uni(0.17, 0.33)
	if g.chance(0.1) {
		h = g.uni(0.05, 0.12) // autumn
	}
	c0 := hsv(h, g.uni(0.3, 0.7), g.uni(0.15, 0.45))
	return &material{pat: patLeaves, c0: c0, c1: vary(g, c0.scale(g.uni(1.2, 1.7)), 0.1), c2: c0.scale(0.4), scale: g.uni(0.6, 2.5), contrast: 1, seed: g.u32()}
}

func buildingMat(g *rng) *material {
	c := wallColor(g, 0.3, 0.85)
	glass := hsv(g.uni(0.5, 0.65), g.uni(0, 0.3), g.uni(0.08, 0.35))
	return &material{pat: patWindows, c0: c, c1: vary(g, c, 0.12), c2: glass, scale: g.uni(2, 8), contrast: g.uni(0.2, 0.8),
		bw: g.uni(2, 4), bh: g.uni(2.8, 3.6), fw: g.uni(0.3, 0.75), fh: g.uni(0.35, 0.7), litProb: g.uni(0, 0.3), seed: g.u32()}
}

func wallMat(g *rng) *material {
	c := wallColor(g, 0.3, 0.8)
	if g.chance(0.5) {
		return &material{pat: patBrick, c0: c, c1: vary(g, c, 0.2), c2: c.scale(0.75), bw: g.uni(0.3, 0.8), bh: g.uni(0.12, 0.3), scale: 2, contrast: 0.7, seed: g.u32()}
	}
	return &material{pat: patNoise, c0: c, c1: vary(g, c.scale(0.8), 0.1), scale: g.uni(0.5, 3), contrast: g.uni(0.3, 0.9), seed: g.u32()}
}

func fenceMat(g *rng) *material {
	var c color
	switch g.intn(3) {
	case 0:
		c = hsv(g.uni(0.06, 0.1), g.uni(0.3, 0.6), g.uni(0.25, 0.6)) // wood
	case 1:
		c = greyish(g, 0.25, 0.7) // metal
	default:
		c = hsv(g.uni(0.25, 0.45), g.uni(0.2, 0.5), g.uni(0.15, 0.4)) // painted green
	}
	return &material{pat: patSlats, c0: c, c1: vary(g, c, 0.15), bw: g.uni(0.1, 0.25), scale: 1, contrast: 0.6, seed: g.u32()}
}

func (s *roadScene) genLighting(g *rng) {
	switch g.weighted([]float64{0.55, 0.3, 0.15}) {
	case 0: // sunny
		s.sky.horizon = hsv(g.uni(0.52, 0.6), g.uni(0.05, 0.25), g.uni(0.75, 0.95))
		s.sky.zenith = hsv(g.uni(0.55, 0.62), g.uni(0.35, 0.7), g.uni(0.5, 0.85))
		s.sky.cover = g.uni(0, 0.5)
		s.sunSide = g.sign()
		s.sunCot = 1 / math.Tan(g.uni(15, 60)*math.Pi/180)
		s.shadowK = g.uni(0.4, 0.65)
		s.post.tint = color{1, 1, 1}
		s.post.gain = g.uni(0.95, 1.2)
	case 1: // overcast
		gr := g.uni(0.55, 0.85)
		s.sky.horizon = greyish(g, gr, gr+0.1)
		s.sky.zenith = greyish(g, gr-0.2, gr)
		s.sky.cover = g.uni(0.5, 1)
		s.shadowK = 1
		s.post.tint = color{1, 1, 1}
		s.post.gain = g.uni(0.8, 1.1)
	default: // dusk
		s.sky.horizon = hsv(g.uni(0.03, 0.1), g.uni(0.3, 0.6), g.uni(0.6, 0.9))
		s.sky.zenith = hsv(g.uni(0.6, 0.7), g.uni(0.3, 0.6), g.uni(0.2, 0.45))
		s.sky.cover = g.uni(0, 0.6)
		s.sunSide = g.sign()
		s.sunCot = 1 / math.Tan(g.uni(5, 15)*math.Pi/180)
		s.shadowK = g.uni(0.55, 0.8)
		s.post.tint = color{g.uni(1.0, 1.1), 1, g.uni(0.8, 0.95)}
		s.post.gain = g.uni(0.6, 0.9)
	}
	s.sky.cloud = mix(s.sky.horizon, rgb(1, 1, 1), g.uni(0.2, 0.8))
	s.sky.seed = g.u32()
	s.fogCol = s.sky.horizon
	s.fogDist = g.logUni(80, 3000)
	for i := range s.post.tint {
		s.post.tint[i] *= g.uni(0.94, 1.06)
	}
	s.post.gamma = g.uni(0.85, 1.15)
	s.post.vignette = g.uni(0, 0.35)
	s.post.noise = g.uni(0.004, 0.03)
	s.post.blur = g.uni(0, 0.6)
	if g.chance(0.25) {
		s.hood = g.uni(0.06, 0.14)
		s.hoodMat = &material{pat: patNoise, c0: paint(g), scale: 1, contrast: 0.2, seed: g.u32()}
		s.hoodMat.c1 = s.hoodMat.c0.scale(1.3)
	}
}

// genLots lines both road sides with buildings, walls, fences, hedges and
// forest according to the scene type.
func (s *roadScene) genLots(g *rng) {
	type choice struct {
		kind int
		w    float64
	}
	weights := [][]float64{ // building, wall, fence, hedge, forest, gap
		{0.1, 0.05, 0.15, 0.2, 0.3, 0.2},
		{0.3, 0.2, 0.2, 0.15, 0.0, 0.15},
		{0.75, 0.1, 0.05, 0.02, 0.0, 0.08},
	}[s.urban]
	bmats := []*material{buildingMat(g), buildingMat(g), buildingMat(g)}
	wmats := []*material{wallMat(g), wallMat(g)}
	fmat := fenceMat(g)
	vmats := []*material{vegMat(g), vegMat(g)}
	s.palette = append(s.palette, bmats[0], bmats[1], wmats[0], fmat, vmats[0], vmats[1])
	zEnd := g.uni(60, 200)
	for _, side := range []float64{-1, 1} {
		sw := s.sw[0]
		if side > 0 {
			sw = s.sw[1]
		}
		verge := 0.0
		if s.urban < 2 {
			verge = g.uni(0, 4)
		}
		z := g.uni(-10, 3)
		for z < zEnd {
			kind := g.weighted(weights)
			L := g.uni(5, 25)
			if kind == 5 { // gap
				z += g.uni(3, 15)
				continue
			}
			l := lot{kind: kind, side: side, z0: z, z1: z + L, off: sw + verge + g.uni(0, 0.5), seed: g.u32()}
			switch kind {
			case lotBuilding:
				l.label = RoadBuilding
				l.mat = bmats[g.intn(len(bmats))]
				l.height = g.uni(5, 10)
				if s.urban == 2 {
					l.height = g.uni(6, 28)
				}
				if s.urban < 2 {
					l.off += g.uni(2, 12)
				}
				l.depth = g.uni(8, 20)
				l.z1 = z + g.uni(8, 30)
			case lotWall:
				l.label = RoadWall
				l.mat = wmats[g.intn(len(wmats))]
				l.height = g.uni(0.8, 3)
			case lotFence:
				l.label = RoadFence
				l.mat = fmat
				l.height = g.uni(1, 2.2)
				l.slat = fmat.bw * g.uni(1.2, 3)
				l.slatFill = g.uni(0.35, 1)
			case lotHedge:
				l.label = RoadVegetation
				l.mat = vmats[g.intn(len(vmats))]
				l.height = g.uni(0.8, 2.5)
				l.topAmp, l.topScale = l.height*g.uni(0.1, 0.4), g.uni(0.5, 3)
			case lotForest:
				l.label = RoadVegetation
				l.mat = vmats[g.intn(len(vmats))]
				l.height = g.uni(6, 18)
				l.off += g.uni(2, 15)
				l.topAmp, l.topScale = l.height*g.uni(0.2, 0.5), g.uni(2, 6)
			}
			s.lots = append(s.lots, l)
			// Suburban plots: a building behind a low wall, fence or hedge.
			if s.urban == 1 && kind != lotBuilding && g.chance(0.6) {
				b := lot{kind: lotBuilding, side: side, z0: z + g.uni(0, 4), off: l.off + g.uni(4, 14), label: RoadBuilding,
					mat: bmats[g.intn(len(bmats))], height: g.uni(4, 10), depth: g.uni(8, 15), seed: g.u32()}
				b.z1 = b.z0 + g.uni(8, 18)
				s.lots = append(s.lots, b)
			}
			z = l.z1
			if g.chance(0.3) {
				z += g.uni(0.5, 6)
			}
		}
	}
	// Trees along the verge (all types but dense city blocks).
	pTree := []float64{0.5, 0.5, 0.25}[s.urban]
	for _, side := range []float64{-1, 1} {
		if !g.chance(pTree + 0.3) {
			continue
		}
		sw := s.sw[0]
		if side > 0 {
			sw = s.sw[1]
		}
		for z := g.uni(4, 14); z < zEnd; z += g.uni(6, 20) {
			if !g.chance(pTree + 0.3) {
				continue
			}
			lat := side * (s.rw/2 + math.Max(0.6, sw*g.uni(0.3, 0.9)) + g.uni(0, 3)*float64(2-s.urban)/2)
			s.addSprite(s.tree(g, vmats[g.intn(len(vmats))], z, lat))
		}
	}
}

func (s *roadScene) genBackdrop(g *rng) {
	b := &s.backdrop
	b.z = g.uni(150, 400)
	b.city = s.urban == 2 || (s.urban == 1 && g.chance(0.4))
	b.height = g.uni(5, 40)
	if b.city {
		b.mat = buildingMat(g)
	} else {
		b.mat = vegMat(g)
	}
	b.seed = g.u32()
}

// addSprite appends sp to the scene (its shadow is added by its builder).
func (s *roadScene) addSprite(sp *sprite) {
	s.sprites = append(s.sprites, sp)
}

// anchor converts a lateral offset from the road centre at depth z to world X.
func (s *roadScene) anchor(z, lat float64) float64 { return s.xc(z) + lat }

func (s *roadScene) tree(g *rng, vm *material, z, lat float64) *sprite {
	th := g.uni(1.5, 3.5)
	tw := g.uni(0.15, 0.45)
	cr := g.uni(1.2, 4)
	trunk := &material{pat: patNoise, c0: hsv(g.uni(0.05, 0.12), g.uni(0.1, 0.5), g.uni(0.15, 0.4)), scale: 0.3, contrast: 0.5, seed: g.u32()}
	trunk.c1 = trunk.c0.scale(0.7)
	sp := &sprite{X: s.anchor(z, lat), Z: z, radius: tw}
	sp.parts = append(sp.parts, part{poly: [][]pt{rect(-tw/2, 0, tw/2, th+cr*0.5)}, mat: trunk, label: RoadVegetation, shade: 1})
	sp.parts = append(sp.parts, part{poly: [][]pt{blob(g, 0, th+cr*0.8, cr, cr*g.uni(0.8, 1.3), 0.4, 28)}, mat: vm, label: RoadVegetation, shade: 1})
	s.shadows = append(s.shadows, shadow{sp.X - s.sunSide*cr, z, cr, cr, 0.7})
	return sp
}
