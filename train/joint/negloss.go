package joint

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/autograd"
)

// NegLoss selects L_neg, the loss on synthetic negative pixels that pushes
// the classifier's posterior towards the uniform distribution U over the K
// inlier classes (paper Section 3.2, Table 7).
type NegLoss int

const (
	// JSD is the Jensen–Shannon divergence JS(U, p) (paper Eq. 6), the
	// NFlowJS choice: it is bounded by ln 2, so negatives that happen to
	// look like inliers (confident predictions) cannot dominate the
	// classifier's loss, unlike both KL directions (paper Fig. 3).
	JSD NegLoss = iota
	// KL is KL(U ‖ p) = −ln K − (1/K)·Σ_c ln p_c, the outlier-exposure loss
	// (cross-entropy to the uniform distribution up to a constant).
	KL
	// RKL is the reverse KL(p ‖ U) = Σ_c p_c ln p_c + ln K, i.e. maximising
	// the softmax entropy.
	RKL
)

var negLossNames = []string{JSD: "jsd", KL: "kl", RKL: "rkl"}

// String returns the flag spelling (jsd, kl, rkl).
func (k NegLoss) String() string {
	if k < 0 || int(k) >= len(negLossNames) {
		return fmt.Sprintf("NegLoss(%d)", int(k))
	}
	return negLossNames[k]
}

// ParseNegLoss parses jsd (also js), kl or rkl.
func ParseNegLoss(s string) (NegLoss, error) {
	switch s {
	case "jsd", "js":
		return JSD, nil
	case "kl":
		return KL, nil
	case "rkl":
		return RKL, nil
	}
	return 0, fmt.Errorf("%w: unknown negative loss %q (want jsd, kl or rkl)", ErrConfig, s)
}

// Mean returns the mean over pixels of the divergence between U and
// softmax(z) for logits z of shape [N,K,H,W] (or [N,K]), as a scalar Var
// differentiable with respect to z. With p = softmax(z), K classes and
// means ⟨·⟩ over all N·K·H·W elements (so ⟨f⟩·K is the mean over pixels of
// Σ_c f_c):
//
//	JS(U, p)  = ½·Σ_c u_c·ln(u_c/m_c) + ½·Σ_c p_c·ln(p_c/m_c),  m = (U + p)/2
//	          = −½·ln K − ½·⟨ln m⟩ + ½·K·⟨p·(ln p − ln m)⟩
//	KL(U ‖ p) = −ln K − ⟨ln p⟩
//	KL(p ‖ U) = ln K + K·⟨p·ln p⟩
//
// ln p comes from a log-softmax and m ≥ 1/(2K), so every term stays finite
// however confident the prediction. It equals the inference score of paper
// Eq. 7 at temperature T = 1 (package ood's JSToUniform and friends).
func (k NegLoss) Mean(z *autograd.Var) *autograd.Var {
	kc := z.Value.Shape[1]
	lnK := float32(math.Log(float64(kc)))
	logp := autograd.LogSoftmaxChannels(z)
	switch k {
	case KL:
		return autograd.AddScalar(autograd.Neg(autograd.Mean(logp)), -lnK)
	case RKL:
		p := autograd.Exp(logp)
		return autograd.AddScalar(autograd.Scale(autograd.Mean(autograd.Mul(p, logp)), float32(kc)), lnK)
	case JSD:
		p := autograd.Exp(logp)
		logm := autograd.Log(autograd.AddScalar(autograd.Scale(p, 0.5), 0.5/float32(kc)))
		uTerm := autograd.AddScalar(autograd.Scale(autograd.Mean(logm), -0.5), -0.5*lnK)
		pTerm := autograd.Scale(autograd.Mean(autograd.Mul(p, autograd.Sub(logp, logm))), 0.5*float32(kc))
		return autograd.Add(uTerm, pTerm)
	}
	panic(fmt.Sprintf("joint: NegLoss.Mean on invalid kind %d", int(k)))
}

// NegativeLoss is the L_neg term of paper Eqs. 3-4: the mean over the
// pasted pixels (m = 1) of the divergence k between U and the posterior
// softmax(logits). logits is [N,K,H,W]; p places the negatives.
func NegativeLoss(k NegLoss, logits *autograd.Var, p Placement) *autograd.Var {
	return k.Mean(CropEach(logits, p))
}

// NegativeClassLoss is L_neg of a UNO head (--head uno): the mean over
// pixels of the cross-entropy −ln p_{K+1} of the negative class, the last
// of the K+1 channels of z ([N,K+1,H,W] or [N,K+1]). The UNO authors
// label pasted negatives with the new class in the segmentation
// cross-entropy; here that term is L_neg, weighted by λ like the other
// negative losses. Their single mean over all pixels, (1−s)·CE_in +
// s·CE_neg with a pasted share s, is this objective at λ = s/(1−s), a few
// percent for the paper's patch sizes: inside --lambda auto's grid.
func NegativeClassLoss(z *autograd.Var) *autograd.Var {
	kc := z.Value.Shape[1]
	if kc < 2 {
		panic(fmt.Sprintf("joint.NegativeClassLoss: %d channels; want K+1 >= 2", kc))
	}
	logp := autograd.LogSoftmaxChannels(z)
	return autograd.Neg(autograd.Mean(autograd.Split(logp, kc-1, 1)[1]))
}
