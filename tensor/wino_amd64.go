//go:build amd64 && !noasm

package tensor

// winoInputAVX2 is winoInputGeneric(v, vs, ev, od, ld, n) for n a
// positive multiple of 8, eight tiles per pass with the same operations in
// the same order (results are bit-identical):
//
//	for j := 0; j < n; j++ {
//		for i := 0; i < 4; i++ {
//			d0, d1, d2, d3 := ev[i*ld+j], od[i*ld+j], ev[i*ld+j+1], od[i*ld+j+1]
//			w[i] = [4]float32{d0 - d2, d1 + d2, d2 - d1, d1 - d3}
//		}
//		for k := 0; k < 4; k++ {
//			v[(0+k)*vs+j] = w[0][k] - w[2][k]
//			v[(4+k)*vs+j] = w[1][k] + w[2][k]
//			v[(8+k)*vs+j] = w[2][k] - w[1][k]
//			v[(12+k)*vs+j] = w[1][k] - w[3][k]
//		}
//	}
//
// It does no bounds checks (winoInput does them).
//
//go:noescape
func winoInputAVX2(v []float32, vs int, ev, od []float32, ld, n int)

// winoOutputAVX2 is winoOutputGeneric(dst, ld, rows, x0, m, ms, n, bias)
// for n a positive multiple of 8 with x0+2n <= ld (no clipping), eight
// tiles per pass, bit-identical:
//
//	for j := 0; j < n; j++ {
//		for i := 0; i < 4; i++ {
//			m0, m1, m2, m3 := m[(4*i)*ms+j], m[(4*i+1)*ms+j], m[(4*i+2)*ms+j], m[(4*i+3)*ms+j]
//			a[i] = [2]float32{m0 + m1 + m2, m1 - m2 - m3}
//		}
//		for k := 0; k < 2; k++ {
//			dst[x0+2*j+k] = a[0][k] + a[1][k] + a[2][k] + bias
//			if rows == 2 {
//				dst[ld+x0+2*j+k] = a[1][k] - a[2][k] - a[3][k] + bias
//			}
//		}
//	}
//
// It does no bounds checks (winoOutput does them).
//
//go:noescape
func winoOutputAVX2(dst []float32, ld, rows, x0 int, m []float32, ms, n int, bias float32)

// winoInputVec runs the vector input transform on the first n&^7 tiles
// and returns how many it did.
func winoInputVec(v []float32, vs int, ev, od []float32, ld, n int) int {
	n8 := n &^ 7
	if !hasAVX2 || n8 == 0 {
		return 0
	}
	_ = v[15*vs+n8-1]
	_ = ev[3*ld+n8]
	_ = od[3*ld+n8]
	winoInputAVX2(v, vs, ev, od, ld, n8)
	return n8
}

// winoOutputVec runs the vector output transform on the first tiles whose
// columns lie inside the row (a multiple of 8) and returns how many it did.
func winoOutputVec(dst []float32, ld, rows, x0 int, m []float32, ms, n int, bias float32) int {
	n8 := min(n, (ld-x0)/2) &^ 7
	if !hasAVX2 || n8 <= 0 {
		return 0
	}
	_ = dst[(rows-1)*ld+x0+2*n8-1]
	_ = m[15*ms+n8-1]
	winoOutputAVX2(dst, ld, rows, x0, m, ms, n8, bias)
	return n8
}
