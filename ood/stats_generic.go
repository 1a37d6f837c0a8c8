package ood

const statBlock = 64

// softmaxStats are the per-pixel sums every baseline derives from, for a
// block of pixels: m = max_k l_k, arg = argmax (first), and with
// z_k = (l_k − m)/T: s = Σ e^{z_k}, a = Σ e^{z_k} z_k, zs = Σ z_k.
type softmaxStats struct {
	m, s, a, zs [statBlock]float32
	arg         [statBlock]int32
}

// blockStats fills st for w <= statBlock pixels at src (channel stride
// stride) in one pass over the logits after the max pass; withExp = false
// skips the exponentials when only m and arg are needed.
func blockStats(st *softmaxStats, src []float32, stride, k, w int, invT float32, withExp bool) {
	m, arg := st.m[:w], st.arg[:w]
	copy(m, src[:w])
	clear(arg)
	for c := 1; c < k; c++ {
		row := src[c*stride : c*stride+w]
		for j, v := range row {
			if v > m[j] {
				m[j] = v
				arg[j] = int32(c)
			}
		}
	}
	if !withExp {
		return
	}
	s, a, zs := st.s[:w], st.a[:w], st.zs[:w]
	clear(s)
	clear(a)
	clear(zs)
	for c := 0; c < k; c++ {
		row := src[c*stride : c*stride+w]
		for j, v := range row {
			z := (v - m[j]) * invT
			e := exp32(z)
			s[j] += e
			a[j] += e * z
			zs[j] += z
		}
	}
}
