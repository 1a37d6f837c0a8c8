package ood

// jsGeneric writes, for the n pixels starting at src[0], sign·JS(U, softmax(l/T))
// in nats, where the K logits of pixel i are src[i], src[i+stride], …,
// src[i+(k-1)·stride] and invT = 1/T. It is the reference loop of jsAVX2 and
// uses the same algebra and the same float32 polynomials, block by block of
// 8 pixels. With u = 1/K, p = softmax(l/T), z_k = (l_k − max l)/T,
// S = Σ exp z_k and r_k = K·p_k:
//
//	JS(U, p) = ½ KL(U‖M) + ½ KL(p‖M),  M = (U + p)/2
//	         = ½ [ 2 ln 2 + u Σ r_k ln r_k − u Σ (1 + r_k) ln(1 + r_k) ]
//	u Σ r_k ln r_k = Σ p_k (z_k − ln S) + ln K = (Σ e^{z_k} z_k)/S − ln S + ln K
//
// so a pixel costs K exponentials, K + 1 logarithms and one division.
func jsGeneric(dst, src []float32, stride, k, n int, invT, sign float32) {
	if n == 0 {
		return
	}
	_ = src[(k-1)*stride+n-1]
	_ = dst[n-1]
	if k == 1 {
		// One class: the softmax is the uniform distribution.
		for i := range dst[:n] {
			dst[i] = 0
		}
		return
	}
	const bs = 64
	var m, s, a, b [bs]float32
	e := make([]float32, k*bs)
	fk := float32(k)
	invK := 1 / fk
	logK := log32(fk)
	for i0 := 0; i0 < n; i0 += bs {
		w := min(bs, n-i0)
		for j := 0; j < w; j++ {
			m[j] = src[i0+j]
		}
		for c := 1; c < k; c++ {
			row := src[c*stride+i0 : c*stride+i0+w]
			for j, v := range row {
				m[j] = max(m[j], v)
			}
		}
		for j := 0; j < w; j++ {
			m[j] *= invT
			s[j], a[j], b[j] = 0, 0, 0
		}
		for c := 0; c < k; c++ {
			row := src[c*stride+i0 : c*stride+i0+w]
			ec := e[c*bs : c*bs+w]
			for j, v := range row {
				z := v*invT - m[j]
				x := exp32(z)
				ec[j] = x
				s[j] += x
				a[j] += x * z
			}
		}
		for j := 0; j < w; j++ {
			logS := log32(s[j])
			inv := 1 / s[j]
			q := fk * inv
			a[j] = a[j]*inv - logS + logK
			s[j] = q
		}
		for c := 0; c < k; c++ {
			ec := e[c*bs : c*bs+w]
			for j, x := range ec {
				t := x*s[j] + 1
				b[j] += t * log32(t)
			}
		}
		for j := 0; j < w; j++ {
			dst[i0+j] = sign * 0.5 * (twoLn2f + a[j] - invK*b[j])
		}
	}
}
