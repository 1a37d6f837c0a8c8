package gemm

// transpose8Generic is the reference 8×8-block transpose behind packing
// (see transposeFunc):
//
//	for i := 0; i < 8; i++ {
//		for p := 0; p < 8*blocks; p++ {
//			dst[p*ldd+i] = alpha * src[i*lds+p]
//		}
//	}
func transpose8Generic(blocks int, src []float32, lds int, dst []float32, ldd int, alpha float32) {
	for i := 0; i < 8; i++ {
		row := src[i*lds : i*lds+8*blocks]
		for p, v := range row {
			dst[p*ldd+i] = alpha * v
		}
	}
}

// copyRowsGeneric is the reference strided, scaled row copy behind packing
// (see copyFunc):
//
//	for p := 0; p < kc; p++ {
//		for j := 0; j < nr; j++ {
//			dst[p*nr+j] = alpha * src[p*lds+j]
//		}
//	}
func copyRowsGeneric(kc int, src []float32, lds int, dst []float32, nr int, alpha float32) {
	for p := 0; p < kc; p++ {
		d := dst[p*nr : p*nr+nr]
		s := src[p*lds : p*lds+nr]
		if alpha == 1 {
			copy(d, s)
			continue
		}
		for j, v := range s {
			d[j] = alpha * v
		}
	}
}
