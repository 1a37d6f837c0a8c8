package tensor

import (
	"fmt"
	"runtime"
	"testing"
)

// winoCases are 3×3 stride-1 geometries for the Winograd path: the
// segnet-ref layers (smaller batch), odd output sizes (partial tiles),
// padding 0 and 2, Co not a multiple of the tile height, and Ci needing
// several K blocks.
var winoCases = []convCase{
	{2, 64, 32, 32, 64, 3, 3, 1, 1, 1},
	{1, 32, 64, 64, 10, 3, 3, 1, 1, 1},
	{2, 16, 17, 19, 9, 3, 3, 1, 1, 1},
	{1, 20, 15, 12, 8, 3, 3, 1, 0, 1},
	{2, 17, 9, 11, 33, 3, 3, 1, 2, 1},
	{1, 300, 6, 9, 8, 3, 3, 1, 1, 1},
	{3, 16, 3, 8, 8, 3, 3, 1, 1, 1},
}

// TestConvWinogradAgainstReference checks convForwardWinograd, with and
// without bias, on 1, 2 and 3 threads, against the float64 definition and
// the im2col path.
func TestConvWinogradAgainstReference(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 3} {
		runtime.GOMAXPROCS(procs)
		for i, c := range winoCases {
			for _, withBias := range []bool{true, false} {
				t.Run(fmt.Sprintf("procs%d/%v/bias=%v", procs, c, withBias), func(t *testing.T) {
					checkPath(t, uint64(i)+50, c, withBias, convForwardWinograd)
				})
			}
		}
	}
}

// TestWinoTransforms compares winoInput and winoOutput (vector passes
// plus generic tails) with the reference loops bit for bit, on run lengths
// around the 8-tile vectors, both output row counts and clipped rows.
func TestWinoTransforms(t *testing.T) {
	const ld, vs, ms = 41, 50, 47
	ev := randTensor(1, 1, 4*ld+1).Data
	od := randTensor(2, 1, 4*ld+1).Data
	m := randTensor(3, 1, 16*ms).Data
	for _, n := range []int{1, 7, 8, 9, 16, 23, 24, 40} {
		got, want := make([]float32, 16*vs), make([]float32, 16*vs)
		winoInput(got, vs, ev, od, ld, n)
		winoInputGeneric(want, vs, ev, od, ld, n)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("input n=%d: v[%d] = %g, want %g", n, i, got[i], want[i])
			}
		}
		for _, rows := range []int{1, 2} {
			for _, x0 := range []int{0, 3} {
				for _, width := range []int{x0 + 2*n, x0 + 2*n - 1, x0 + 2*n + 5} {
					if n > ms || width < x0+1 {
						continue
					}
					got, want := make([]float32, 2*width), make([]float32, 2*width)
					winoOutput(got, width, rows, x0, m, ms, n, 0.25)
					winoOutputGeneric(want, width, rows, x0, m, ms, n, 0.25)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("output n=%d rows=%d x0=%d width=%d: dst[%d] = %g, want %g", n, rows, x0, width, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestConvGradWWinograd checks the Winograd weight gradient against the
// float64 definition on the Winograd geometries, on 1, 2 and 3 threads,
// with one band per image and with bands forced down to a tile row or two.
func TestConvGradWWinograd(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer func(l int) { winoGradWLimit = l }(winoGradWLimit)
	for _, limit := range []int{winoGradWLimit, 1} {
		winoGradWLimit = limit
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			for i, c := range winoCases {
				t.Run(fmt.Sprintf("limit%d/procs%d/%v", limit, procs, c), func(t *testing.T) {
					x := randTensor(uint64(i)+70, 1, c.n, c.ci, c.h, c.w)
					w := randTensor(uint64(i)+170, 0.3, c.co, c.ci, c.kh, c.kw)
					n, g := newConvGeom("Conv2d", x, w, ConvOpts{Stride: c.s, Pad: c.p, Dilation: c.d})
					if !useWinogradGradW(&g) {
						t.Fatalf("%v does not take the Winograd weight gradient", c)
					}
					gy := randTensor(uint64(i)+270, 1, c.n, c.co, g.oh, g.ow)
					_, _, rgw, _ := refConv(x, w, nil, gy, c.s, c.p, c.d)
					got := FromData(convGradWWinograd(x.Data, gy.Data, n, &g), w.Shape...)
					assertCloseFloor(t, c.String(), got, asTensor(rgw, w.Shape...), 1e-5, 1)
				})
			}
		}
	}
}
