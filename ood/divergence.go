package ood

import "math"

// Divergences between discrete distributions, in nats, for the losses of
// paper section 3.2 and the two-class comparison of its Figure 3. Terms with
// a zero weight contribute 0 (0·ln 0 = 0); KL is +Inf where the second
// argument has a zero the first does not.

// KL returns KL(p‖q) = Σ p_k ln(p_k/q_k).
func KL(p, q []float64) float64 {
	var s float64
	for i, pi := range p {
		if pi > 0 {
			s += pi * math.Log(pi/q[i])
		}
	}
	return s
}

// JS returns the Jensen–Shannon divergence ½KL(p‖m) + ½KL(q‖m) with
// m = (p+q)/2. It is symmetric and bounded by ln 2.
func JS(p, q []float64) float64 {
	m := make([]float64, len(p))
	for i := range p {
		m[i] = 0.5 * (p[i] + q[i])
	}
	return 0.5*KL(p, m) + 0.5*KL(q, m)
}

// Uniform returns the uniform distribution over k classes.
func Uniform(k int) []float64 {
	u := make([]float64, k)
	for i := range u {
		u[i] = 1 / float64(k)
	}
	return u
}

// JSToUniform returns JS(U, p), the NFlowJS negative loss L_neg (paper eq. 6)
// and score (eq. 7) for a probability vector p.
func JSToUniform(p []float64) float64 { return JS(Uniform(len(p)), p) }

// KLUniformTo returns KL(U‖p), the usual negative loss (a cross-entropy
// towards the uniform distribution up to the constant ln K).
func KLUniformTo(p []float64) float64 { return KL(Uniform(len(p)), p) }

// ReverseKLToUniform returns KL(p‖U) = ln K − H(p).
func ReverseKLToUniform(p []float64) float64 { return KL(p, Uniform(len(p))) }

// TwoClassDivergences returns, for the two-class distribution (p1, 1−p1),
// its JS, KL(U‖p) and reverse-KL divergences to the uniform distribution:
// the three curves of the left panel of the paper's Figure 3.
func TwoClassDivergences(p1 float64) (js, kl, rkl float64) {
	p := []float64{p1, 1 - p1}
	return JSToUniform(p), KLUniformTo(p), ReverseKLToUniform(p)
}
