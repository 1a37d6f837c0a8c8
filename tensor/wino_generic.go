package tensor

// Reference loops of the Winograd F(2×2, 3×3) transforms (see
// conv_winograd.go); the vector versions compute exactly these
// expressions in the same order.

// winoInputGeneric writes the transformed patches Bᵀ d B of n consecutive
// tiles of one channel: the patch of tile j has rows i < 4 and columns
// ev[i·ld+j], od[i·ld+j], ev[i·ld+j+1], od[i·ld+j+1], and element ξ = 4i+k of
// its transform goes to v[ξ·vs + j].
func winoInputGeneric(v []float32, vs int, ev, od []float32, ld, n int) {
	for j := 0; j < n; j++ {
		var w [4][4]float32 // rows of d B
		for i := 0; i < 4; i++ {
			d0, d1, d2, d3 := ev[i*ld+j], od[i*ld+j], ev[i*ld+j+1], od[i*ld+j+1]
			w[i] = [4]float32{d0 - d2, d1 + d2, d2 - d1, d1 - d3}
		}
		for k := 0; k < 4; k++ {
			v[(0+k)*vs+j] = w[0][k] - w[2][k]
			v[(4+k)*vs+j] = w[1][k] + w[2][k]
			v[(8+k)*vs+j] = w[2][k] - w[1][k]
			v[(12+k)*vs+j] = w[1][k] - w[3][k]
		}
	}
}

// winoOutputGeneric turns the products of n consecutive tiles of one
// output channel (element ξ of tile j at m[ξ·ms + j]) into pixels:
// Aᵀ M A + bias is the 2×2 block at columns x0+2j, x0+2j+1 of the first
// rows (1 or 2) rows of dst (row stride ld), clipped to ld columns.
func winoOutputGeneric(dst []float32, ld, rows, x0 int, m []float32, ms, n int, bias float32) {
	for j := 0; j < n; j++ {
		var a [4][2]float32 // rows of M A
		for i := 0; i < 4; i++ {
			m0, m1, m2, m3 := m[(4*i)*ms+j], m[(4*i+1)*ms+j], m[(4*i+2)*ms+j], m[(4*i+3)*ms+j]
			a[i] = [2]float32{m0 + m1 + m2, m1 - m2 - m3}
		}
		col := x0 + 2*j
		for k := 0; k < 2 && col+k < ld; k++ {
			dst[col+k] = a[0][k] + a[1][k] + a[2][k] + bias
			if rows == 2 {
				dst[ld+col+k] = a[1][k] - a[2][k] - a[3][k] + bias
			}
		}
	}
}
