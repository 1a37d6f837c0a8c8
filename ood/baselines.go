package ood

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/tensor"
)

// Kind names a logit-based anomaly score. Every Kind is oriented so that
// higher = more anomalous; T is the softmax temperature where one is used.
// With p = softmax(l/T), K classes and U the uniform distribution:
type Kind int

const (
	// NFlowJS is −JS(U, p) (paper eq. 7, negated: anomalies have p ≈ U
	// and so a small divergence). Default T = 2.
	NFlowJS Kind = iota
	// MSP is −max_k p_k, the negated max-softmax probability
	// (Hendrycks & Gimpel 2017); the paper validates T = 10 for it.
	MSP
	// MaxLogit is −max_k l_k (Hendrycks et al. 2022); T is not used.
	MaxLogit
	// Entropy is H(p) = −Σ p_k ln p_k; high on anomalies, not flipped.
	Entropy
	// Energy is E = −T·ln Σ exp(l_k/T) (Liu et al. 2020); low logits give
	// high energy, so it is not flipped.
	Energy
	// KLUniform is −KL(U‖p) = −Σ (1/K) ln(1/(K p_k)), negated.
	KLUniform
	// ReverseKL is −KL(p‖U) = −(ln K − H(p)), negated; it orders pixels
	// as Entropy does.
	ReverseKL
	// RbA is −Σ_k tanh(l_k), "Rejected by All" (Nayal et al., ICCV 2023):
	// a pixel that every class's logit rejects (l_k < 0 for all k) scores
	// near K, one that a class claims scores lower. T is not used; the
	// range is [−K, K].
	RbA
	// UNO is p_{K+1} − max_{k≤K} p_k over the K+1 outputs of a model with
	// a negative class (the last channel; uno.go): the negative class's
	// probability minus the inlier posterior's top probability. Its
	// logits have K+1 channels, not K; range [−1, 1].
	UNO
	numKinds
)

var kindNames = [...]string{"nflowjs", "msp", "max-logit", "entropy", "energy", "kl-uniform", "reverse-kl", "rba", "uno"}

func (k Kind) String() string {
	if k >= 0 && k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind returns the Kind named s (as printed by String).
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("ood: unknown score %q (have %v)", s, kindNames)
}

// Compute returns the N x H x W anomaly-score map of kind for NCHW logits.
func Compute(kind Kind, logits *tensor.Tensor, T float32) (*tensor.Tensor, error) {
	n, k, h, w, err := dims(logits)
	if err != nil {
		return nil, err
	}
	out := tensor.New(n, h, w)
	if err := ComputeInto(kind, out.Data, logits.Data, n, k, h*w, T); err != nil {
		return nil, err
	}
	return out, nil
}

// ComputeInto is the slice form of Compute: logits holds n images of
// k x hw values (NCHW), dst receives n·hw scores.
func ComputeInto(kind Kind, dst, logits []float32, n, k, hw int, T float32) error {
	if kind < 0 || kind >= numKinds {
		return fmt.Errorf("ood: unknown score kind %d", int(kind))
	}
	if kind == NFlowJS {
		return JSDivergenceInto(dst, logits, n, k, hw, T, -1)
	}
	if err := checkSlices(dst, logits, n, k, hw, T); err != nil {
		return err
	}
	if kind == RbA {
		forPixels(n, hw, func(img, i0, i1 int) {
			rbaRange(dst[img*hw+i0:img*hw+i1], logits[img*k*hw:], hw, k, i0)
		})
		return nil
	}
	if kind == UNO {
		if k < 2 {
			return fmt.Errorf("ood: the uno score needs K+1 >= 2 output channels (K inlier classes and the negative class), have %d", k)
		}
		forPixels(n, hw, func(img, i0, i1 int) {
			unoRange(dst[img*hw+i0:img*hw+i1], logits[img*k*hw:], hw, k, i0, 1/T)
		})
		return nil
	}
	forPixels(n, hw, func(img, i0, i1 int) {
		base := img * k * hw
		baselineRange(kind, dst[img*hw+i0:img*hw+i1], logits[base+i0:base+(k-1)*hw+i1], hw, k, i1-i0, T)
	})
	return nil
}

// baselineRange writes the anomaly score kind (not NFlowJS) for n pixels.
func baselineRange(kind Kind, dst, src []float32, stride, k, n int, T float32) {
	var st softmaxStats
	invT := 1 / T
	cs := statsConsts(k, invT)
	fk := float32(k)
	logK := float32(math.Log(float64(k)))
	for i0 := 0; i0 < n; i0 += statBlock {
		w := min(statBlock, n-i0)
		blockStatsFast(&st, src[i0:], stride, k, w, invT, kind != MaxLogit, cs)
		out := dst[i0 : i0+w]
		for j := range out {
			switch kind {
			case MSP:
				out[j] = -1 / st.s[j]
			case MaxLogit:
				out[j] = -st.m[j]
			case Entropy:
				out[j] = log32(st.s[j]) - st.a[j]/st.s[j]
			case Energy:
				out[j] = -(st.m[j] + T*log32(st.s[j]))
			case KLUniform:
				out[j] = -(log32(st.s[j]) - st.zs[j]/fk - logK)
			case ReverseKL:
				out[j] = -(logK - log32(st.s[j]) + st.a[j]/st.s[j])
			}
		}
	}
}

// Argmax returns the closed-set prediction (first maximal class) of every
// pixel of NCHW logits as an N·H·W slice.
func Argmax(logits *tensor.Tensor) ([]int32, error) {
	n, k, h, w, err := dims(logits)
	if err != nil {
		return nil, err
	}
	hw := h * w
	out := make([]int32, n*hw)
	cs := statsConsts(k, 1)
	forPixels(n, hw, func(img, i0, i1 int) {
		var st softmaxStats
		base := img * k * hw
		for b := i0; b < i1; b += statBlock {
			bw := min(statBlock, i1-b)
			blockStatsFast(&st, logits.Data[base+b:], hw, k, bw, 1, false, cs)
			copy(out[img*hw+b:], st.arg[:bw])
		}
	})
	return out, nil
}

// rbaRange writes −Σ_k tanh(l_k) for pixels [i0, i0+len(dst)) of one
// image's logits (k planes of hw values), class by class.
func rbaRange(dst, logits []float32, hw, k, i0 int) {
	for j := range dst {
		dst[j] = 0
	}
	for c := 0; c < k; c++ {
		for j, v := range logits[c*hw+i0 : c*hw+i0+len(dst)] {
			dst[j] -= tanh32(v)
		}
	}
}

// tanh32 is tanh in float32 precision: 1 − 2/(e^{2x}+1), saturated beyond
// |x| = 9 where float32 tanh is ±1 (exp32 then stays finite).
func tanh32(x float32) float32 {
	switch {
	case x > 9:
		return 1
	case x < -9:
		return -1
	case x != x:
		return x
	}
	return 1 - 2/(exp32(2*x)+1)
}
