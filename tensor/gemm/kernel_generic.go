package gemm

// kernelGeneric is the reference micro-kernel every assembly kernel is
// checked against: for an mr×nr tile and packed panels a (kc·mr, element
// (i, p) at p*mr+i) and b (kc·nr, element (p, j) at p*nr+j) it computes
//
//	C[i*ldc+j] = Σ_p a[p*mr+i]·b[p*nr+j] + beta·C[i*ldc+j]
//
// reading C only when beta != 0.
func kernelGeneric(mr, nr, kc int, a, b, c []float32, ldc int, beta float32) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var s float32
			for p := 0; p < kc; p++ {
				s += a[p*mr+i] * b[p*nr+j]
			}
			if beta == 0 {
				c[i*ldc+j] = s
			} else {
				c[i*ldc+j] = s + beta*c[i*ldc+j]
			}
		}
	}
}

// kernel4x4Go is kernelGeneric for mr = nr = 4, unrolled so the sixteen
// accumulators live in registers: the micro-kernel of the pure-Go build.
func kernel4x4Go(kc int, a, b, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:4*kc]
	b = b[:4*kc]
	for p := 0; p < len(a); p += 4 {
		ap := a[p : p+4 : p+4]
		bp := b[p : p+4 : p+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	store4(c[0*ldc:0*ldc+4], beta, c00, c01, c02, c03)
	store4(c[1*ldc:1*ldc+4], beta, c10, c11, c12, c13)
	store4(c[2*ldc:2*ldc+4], beta, c20, c21, c22, c23)
	store4(c[3*ldc:3*ldc+4], beta, c30, c31, c32, c33)
}

// store4 sets c = (s0..s3) + beta·c, not reading c when beta == 0.
func store4(c []float32, beta, s0, s1, s2, s3 float32) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = s0, s1, s2, s3
		return
	}
	c[0] = s0 + beta*c[0]
	c[1] = s1 + beta*c[1]
	c[2] = s2 + beta*c[2]
	c[3] = s3 + beta*c[3]
}

// genericKernel is the pure-Go micro-kernel with block sizes for a typical
// 32 KiB L1 / 512 KiB+ L2 core. It is always built: it is the fallback on
// other architectures and with -tags noasm, and the oracle in tests.
var genericKernel = &microKernel{
	name: "generic4x4",
	mr:   4, nr: 4,
	mc: 128, kc: 256, nc: 1024,
	fn: kernel4x4Go, tr8: transpose8Generic, copyRows: copyRowsGeneric,
}
