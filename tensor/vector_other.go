//go:build !amd64 || noasm

package tensor

func addSlice(dst, a, b []float32)               { addGeneric(dst, a, b) }
func subSlice(dst, a, b []float32)               { subGeneric(dst, a, b) }
func mulSlice(dst, a, b []float32)               { mulGeneric(dst, a, b) }
func divSlice(dst, a, b []float32)               { divGeneric(dst, a, b) }
func scaleSlice(dst, a []float32, s float32)     { scaleGeneric(dst, a, s) }
func addScalarSlice(dst, a []float32, s float32) { addScalarGeneric(dst, a, s) }
func reluSlice(dst, a []float32)                 { reluGeneric(dst, a) }
func maxInto(m, x []float32)                     { maxIntoGeneric(m, x) }

func deinterleave2(d0, d1, src []float32)  { deinterleave2Generic(d0, d1, src) }
func interleaveAdd2(dst, s0, s1 []float32) { interleaveAdd2Generic(dst, s0, s1) }

// axpy computes y += alpha·x for len(x) elements (len(y) >= len(x)).
func axpy(alpha float32, x, y []float32) { axpyGeneric(alpha, x, y) }

func hardswishSlice(dst, a []float32) { hardswishGeneric(dst, a) }

func affineSlice(dst, a []float32, s, t float32) { affineGeneric(dst, a, s, t) }
