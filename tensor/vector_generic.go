package tensor

// Reference loops of the vector kernels in vector_amd64.s (and the
// implementation elsewhere). Each works on len(dst) elements; the other
// slices are at least as long.

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func subGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func divGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / b[i]
	}
}

func scaleGeneric(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * s
	}
}

func addScalarGeneric(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + s
	}
}

// reluGeneric is max(a, 0) with NaN kept. (The vector kernel may return
// −0 for −0 where this returns +0; both compare equal.)
func reluGeneric(dst, a []float32) {
	a = a[:len(dst)]
	for i, v := range a {
		dst[i] = max(v, 0) // branch-free: signs of activations are random
	}
}

// maxIntoGeneric sets m[i] = max(m[i], x[i]), NaN if either is NaN.
func maxIntoGeneric(m, x []float32) {
	x = x[:len(m)]
	for i, v := range x {
		m[i] = max(m[i], v)
	}
}

// deinterleave2Generic splits pairs: d0[j] = src[2j], d1[j] = src[2j+1]
// for j < len(d0) (len(d1) >= len(d0), len(src) >= 2·len(d0)).
func deinterleave2Generic(d0, d1, src []float32) {
	d1, src = d1[:len(d0)], src[:2*len(d0)]
	for j := range d0 {
		d0[j], d1[j] = src[2*j], src[2*j+1]
	}
}

// interleaveAdd2Generic is the adjoint of deinterleave2Generic, added into
// dst: dst[2j] += s0[j], dst[2j+1] += s1[j] for j < len(s0).
func interleaveAdd2Generic(dst, s0, s1 []float32) {
	s1, dst = s1[:len(s0)], dst[:2*len(s0)]
	for j := range s0 {
		dst[2*j] += s0[j]
		dst[2*j+1] += s1[j]
	}
}

// axpyGeneric is the serial y += alpha·x over equal-length slices: the
// reference loop of the assembly kernel (which computes alpha·x[i] and the
// sum with separate roundings, exactly like this loop).
func axpyGeneric(alpha float32, x, y []float32) {
	y = y[:len(x)]
	if alpha == 1 {
		for i := range x {
			y[i] += x[i]
		}
		return
	}
	for i := range x {
		y[i] += alpha * x[i]
	}
}
