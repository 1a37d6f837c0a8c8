package tensor

import (
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// The weight gradient of a convolution that runs as Winograd F(2×2, 3×3)
// (conv_winograd.go) is computed in the same transformed domain. The
// forward pass computes every 2×2 output tile as
//
//	Y = Aᵀ [ Σ_c U_c ⊙ V_c ] A,   U = G g Gᵀ,   V = Bᵀ d B,
//
// so, by the chain rule through the two linear maps,
//
//	∂L/∂U_ξ[o][c] = Σ_tiles D_ξ[o][tile] · V_ξ[c][tile],   D = A (∂L/∂Y) Aᵀ,
//	∂L/∂g = Gᵀ (∂L/∂U) G.
//
// Each of the 16 positions ξ is a matrix product [Co × tiles]·[tiles × Ci]
// whose depth is the number of tiles: 4 multiply-adds per output pixel and
// channel pair instead of im2col's 9 (2.25× fewer), plus transforms that
// are vector additions. V is the forward pass's input transform (the same
// kernels, here laid out tile-contiguously per channel); D is built from
// four phase planes of ∂L/∂Y (even/odd rows × even/odd columns of each
// 2×2 tile) with whole-band vector additions. Output tiles that reach past
// an odd output size get zero gradient, so they add nothing.

// useWinogradGradW reports whether convGradW runs g by Winograd: the
// geometries the forward pass runs by Winograd.
func useWinogradGradW(g *convGeom) bool { return useWinograd(g) }

// winoGradWLimit bounds (in floats, 2 MiB) the transformed input and
// output gradient one band holds, 16·(Ci + Co) per tile.
var winoGradWLimit = 1 << 19 // a variable so tests can force several bands

// convGradWWinograd returns Σₙ ∂L/∂w as a [co, ci, 3, 3] matrix for a
// geometry that useWinogradGradW accepts.
func convGradWWinograd(x, gy []float32, n int, g *convGeom) []float32 {
	p := &winoPlan{g: g, kn: gemm.TileKernelFor(g.co)}
	p.th, p.tw = (g.oh+1)/2, (g.ow+1)/2
	p.tw1 = p.tw + 1
	rows := max(1, winoGradWLimit/max(1, 16*(g.ci+g.co)*p.tw))
	p.nb = balancedBands((p.th+rows-1)/rows, n, p.th)
	bandRows := (p.th + p.nb - 1) / p.nb
	p.srcRows = 2*bandRows + 2
	p.srcLen = 2 * g.ci * p.srcRows * p.tw1
	maxT := bandRows * p.tw
	vLen, dLen := 16*g.ci*maxT, 16*g.co*maxT
	scratchLen := p.srcLen + vLen + dLen + 5*maxT + 2*p.tw
	inSz, outSz := g.ci*g.h*g.w, g.co*g.oh*g.ow
	du := reduceTasks(n*p.nb, 16*g.co*g.ci, scratchLen, func(t int, scratch, acc []float32, mm gemmFunc) {
		img, b := t/p.nb, t%p.nb
		ty0, ty1 := b*p.th/p.nb, (b+1)*p.th/p.nb
		tiles := (ty1 - ty0) * p.tw
		src := scratch[:p.srcLen]
		v := scratch[p.srcLen : p.srcLen+vLen]
		d := scratch[p.srcLen+vLen : p.srcLen+vLen+dLen]
		work := scratch[p.srcLen+vLen+dLen:]
		p.gradWInput(x[img*inSz:(img+1)*inSz], src, v, ty0, ty1)
		p.gradWOutput(gy[img*outSz:(img+1)*outSz], d, work, ty0, ty1)
		for xi := 0; xi < 16; xi++ {
			mm(false, true, g.co, g.ci, tiles, 1, d[xi*g.co*tiles:], tiles, v[xi*g.ci*tiles:], tiles,
				1, acc[xi*g.co*g.ci:], g.ci)
		}
	})
	return winoWeightGrad(du, g.co, g.ci)
}

// gradWInput writes V_ξ[c][tile] for the tiles of rows [ty0, ty1) of one
// image: v[(ξ·Ci + c)·tiles + tile], the forward pass's input transform.
func (p *winoPlan) gradWInput(x, src, v []float32, ty0, ty1 int) {
	g := p.g
	p.fillSource(x, src, ty0, ty1)
	tw, tw1 := p.tw, p.tw1
	planeLen := p.srcRows * tw1
	tiles := (ty1 - ty0) * tw
	for c := 0; c < g.ci; c++ {
		ev := src[(2*c)*planeLen : (2*c+1)*planeLen]
		od := src[(2*c+1)*planeLen : (2*c+2)*planeLen]
		for r := 0; r < ty1-ty0; r++ {
			winoInput(v[c*tiles+r*tw:], g.ci*tiles, ev[2*r*tw1:], od[2*r*tw1:], tw1, tw)
		}
	}
}

// gradWOutput writes D_ξ[o][tile] = (A ∂L/∂Y Aᵀ)_ξ for the tiles of rows
// [ty0, ty1) of one image's output gradient gy: d[(ξ·Co + o)·tiles + tile].
// With the phase planes e0, o0 (even row of each tile: even and odd
// columns) and e1, o1 (odd row), the rows of A·∂L/∂Y are (e0, o0),
// (e0+e1, o0+o1), (e0−e1, o0−o1), (−e1, −o1), and each row (P, Q) becomes
// (P, P+Q, P−Q, −Q). work holds 5·tiles + 2·tw floats.
func (p *winoPlan) gradWOutput(gy, d, work []float32, ty0, ty1 int) {
	g := p.g
	tw := p.tw
	tiles := (ty1 - ty0) * tw
	e0, o0 := work[:tiles], work[tiles:2*tiles]
	e1, o1 := work[2*tiles:3*tiles], work[3*tiles:4*tiles]
	q := work[4*tiles : 5*tiles]
	pad := work[5*tiles : 5*tiles+2*tw] // an odd-width row, zero-extended
	plane := func(xi, o int) []float32 { return d[(xi*g.co+o)*tiles : (xi*g.co+o+1)*tiles] }
	for o := 0; o < g.co; o++ {
		gyo := gy[o*g.oh*g.ow : (o+1)*g.oh*g.ow]
		for r := 0; r < ty1-ty0; r++ {
			for k, dst := range [2][2][]float32{{e0, o0}, {e1, o1}} {
				ev, od := dst[0][r*tw:(r+1)*tw], dst[1][r*tw:(r+1)*tw]
				y := 2*(ty0+r) + k
				if y >= g.oh {
					clear(ev)
					clear(od)
					continue
				}
				row := gyo[y*g.ow : (y+1)*g.ow]
				if g.ow%2 == 1 {
					copy(pad, row)
					pad[g.ow] = 0
					row = pad
				}
				deinterleave2(ev, od, row)
			}
		}
		// Row 0: (e0, o0).
		copy(plane(0, o), e0)
		addSlice(plane(1, o), e0, o0)
		subSlice(plane(2, o), e0, o0)
		scaleSlice(plane(3, o), o0, -1)
		// Row 1: (e0+e1, o0+o1).
		addSlice(plane(4, o), e0, e1)
		addSlice(q, o0, o1)
		addSlice(plane(5, o), plane(4, o), q)
		subSlice(plane(6, o), plane(4, o), q)
		scaleSlice(plane(7, o), q, -1)
		// Row 2: (e0−e1, o0−o1).
		subSlice(plane(8, o), e0, e1)
		subSlice(q, o0, o1)
		addSlice(plane(9, o), plane(8, o), q)
		subSlice(plane(10, o), plane(8, o), q)
		scaleSlice(plane(11, o), q, -1)
		// Row 3: (−e1, −o1): P = −e1, P+Q = −(e1+o1), P−Q = o1−e1, −Q = o1.
		scaleSlice(plane(12, o), e1, -1)
		addSlice(q, e1, o1)
		scaleSlice(plane(13, o), q, -1)
		subSlice(plane(14, o), o1, e1)
		copy(plane(15, o), o1)
	}
}

// winoWeightGrad turns ∂L/∂U (du[(ξ·co + o)·ci + c]) into the weight
// gradient Gᵀ (∂L/∂U) G, [co, ci, 3, 3].
func winoWeightGrad(du []float32, co, ci int) []float32 {
	gw := make([]float32, co*ci*9)
	plane := co * ci
	for oc := 0; oc < plane; oc++ {
		var t [4][3]float32 // (∂L/∂U) G
		for i := 0; i < 4; i++ {
			u0, u1, u2, u3 := du[(4*i)*plane+oc], du[(4*i+1)*plane+oc], du[(4*i+2)*plane+oc], du[(4*i+3)*plane+oc]
			t[i] = [3]float32{u0 + 0.5*(u1+u2), 0.5 * (u1 - u2), 0.5*(u1+u2) + u3}
		}
		f := gw[oc*9 : oc*9+9]
		for b := 0; b < 3; b++ {
			f[b] = t[0][b] + 0.5*(t[1][b]+t[2][b])
			f[3+b] = 0.5 * (t[1][b] - t[2][b])
			f[6+b] = 0.5*(t[1][b]+t[2][b]) + t[3][b]
		}
	}
	return gw
}
