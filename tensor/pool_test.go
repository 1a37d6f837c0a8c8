package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestPoolResizeRandomShapes compares pooling and resizing with direct
// per-pixel implementations of PyTorch's definitions on random geometries.
func TestPoolResizeRandomShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 60; i++ {
		n, c, h, w := 1+r.IntN(2), 1+r.IntN(3), 1+r.IntN(13), 1+r.IntN(13)
		x := randTensor(uint64(i), 1, n, c, h, w)
		k := 1 + r.IntN(4)
		s, p := r.IntN(4), r.IntN(k/2+1)
		name := fmt.Sprintf("%v k%d s%d p%d", x.Shape, k, s, p)
		st := s
		if st == 0 {
			st = k
		}
		if oh, ow := convOutSize(h, k, st, p, 1), convOutSize(w, k, st, p, 1); oh >= 1 && ow >= 1 {
			wantMax, wantAvg := New(n, c, oh, ow), New(n, c, oh, ow)
			for q := 0; q < n*c; q++ {
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						m, sum := math.Inf(-1), 0.0
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := oy*st-p+ky, ox*st-p+kx
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								v := float64(x.Data[(q*h+iy)*w+ix])
								m = math.Max(m, v)
								sum += v
							}
						}
						wantMax.Data[(q*oh+oy)*ow+ox] = float32(m)
						wantAvg.Data[(q*oh+oy)*ow+ox] = float32(sum / float64(k*k))
					}
				}
			}
			y, _ := MaxPool2d(x, k, s, p)
			assertClose(t, name+" max", y, wantMax, 0)
			assertCloseFloor(t, name+" avg", AvgPool2d(x, k, s, p), wantAvg, 1e-6, 1)
		}
		oh, ow := 1+r.IntN(20), 1+r.IntN(20)
		want := New(n, c, oh, ow)
		src := func(d, in, out int) (int, int, float64) {
			v := math.Max((float64(d)+0.5)*float64(in)/float64(out)-0.5, 0)
			i0 := min(int(v), in-1)
			return i0, min(i0+1, in-1), math.Min(math.Max(v-float64(i0), 0), 1)
		}
		for q := 0; q < n*c; q++ {
			for oy := 0; oy < oh; oy++ {
				y0, y1, ly := src(oy, h, oh)
				for ox := 0; ox < ow; ox++ {
					x0, x1, lx := src(ox, w, ow)
					at := func(iy, ix int) float64 { return float64(x.Data[(q*h+iy)*w+ix]) }
					want.Data[(q*oh+oy)*ow+ox] = float32((1-ly)*((1-lx)*at(y0, x0)+lx*at(y0, x1)) + ly*((1-lx)*at(y1, x0)+lx*at(y1, x1)))
				}
			}
		}
		assertCloseFloor(t, fmt.Sprintf("%v resize %dx%d", x.Shape, oh, ow), ResizeBilinear(x, oh, ow), want, 1e-5, 1) // float32 vs float64 source coordinates
		g := randTensor(uint64(i)+50, 1, n, c, oh, ow)
		assertAdjoint(t, fmt.Sprintf("%v resize %dx%d adjoint", x.Shape, oh, ow), x, ResizeBilinear(x, oh, ow), g, ResizeBilinearBackward(g, h, w))
		ah, aw := 1+r.IntN(8), 1+r.IntN(8)
		ya := AdaptiveAvgPool2d(x, ah, aw)
		ga := randTensor(uint64(i)+60, 1, ya.Shape...)
		assertAdjoint(t, fmt.Sprintf("%v adaptive %dx%d adjoint", x.Shape, ah, aw), x, ya, ga, AdaptiveAvgPool2dBackward(ga, x.Shape))
	}
}
