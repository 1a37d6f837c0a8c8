package ood

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// Mahalanobis is the Mahalanobis-distance score of Lee et al. ("A Simple
// Unified Framework for Detecting Out-of-Distribution Samples and
// Adversarial Attacks", NeurIPS 2018) per pixel of the pre-logit feature
// map, without their input preprocessing and layer ensemble: class means
// μ_k and one covariance Σ shared by the classes, fitted on a
// FeatureSample of training pixels with their ground-truth classes, and
//
//	score(f) = min_k (f − μ_k)ᵀ Σ⁺ (f − μ_k),
//
// higher = more anomalous. Σ is the maximum-likelihood covariance of the
// class-centred features (sklearn's EmpiricalCovariance, as the authors'
// code fits it) and Σ⁺ its pseudo-inverse as sklearn's precision_ is
// (scipy.linalg.pinvh: eigenvalues below D·ε·λ_max dropped), so dead
// feature channels (constant zero after a ReLU) do not make it singular.
type Mahalanobis struct {
	D, K int
	// Whitening: with Σ⁺ = AᵀA (A = Λ⁺^½ Vᵀ, R×D), the distance is
	// ‖A f − A μ_k‖²; A is R×D and AMu K×R, row-major.
	R   int
	A   []float32
	AMu []float32
	// Present marks the classes seen in the sample; the others are not
	// candidates of the minimum.
	Present []bool
}

// ClassGaussians returns the class means (K×D, row-major; zero for
// classes absent from the sample, which present marks) and the shared
// maximum-likelihood covariance of the class-centred features (D×D) of a
// feature sample: Mahalanobis's and VOS's class-conditional Gaussians.
func ClassGaussians(s *FeatureSample) (mu []float64, cov *mat.SymDense, present []bool, err error) {
	n, d := s.Len(), s.D
	if n < 2 || d < 1 {
		return nil, nil, nil, fmt.Errorf("%d training pixels to fit on", n)
	}
	mu = make([]float64, s.K*d)
	count := make([]float64, s.K)
	for i, c := range s.Class {
		count[c]++
		for j, v := range s.Feats[i*d : (i+1)*d] {
			mu[int(c)*d+j] += float64(v)
		}
	}
	present = make([]bool, s.K)
	for c := range count {
		if count[c] > 0 {
			present[c] = true
			for j := 0; j < d; j++ {
				mu[c*d+j] /= count[c]
			}
		}
	}
	xc := mat.NewDense(n, d, nil)
	for i, c := range s.Class {
		for j, v := range s.Feats[i*d : (i+1)*d] {
			xc.Set(i, j, float64(v)-mu[int(c)*d+j])
		}
	}
	cov = mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n), xc.T())
	return mu, cov, present, nil
}

// NewMahalanobis fits the score on a feature sample.
func NewMahalanobis(s *FeatureSample) (*Mahalanobis, error) {
	mu, cov, present, err := ClassGaussians(s)
	if err != nil {
		return nil, fmt.Errorf("ood: mahalanobis: %w", err)
	}
	d := s.D
	a, r, err := pinvSqrt(cov)
	if err != nil {
		return nil, fmt.Errorf("ood: mahalanobis: %w", err)
	}
	m := &Mahalanobis{D: d, K: s.K, R: r, A: a, AMu: make([]float32, s.K*r), Present: present}
	for c := 0; c < s.K; c++ {
		for i := 0; i < r; i++ {
			var acc float64
			for j := 0; j < d; j++ {
				acc += float64(a[i*d+j]) * mu[c*d+j]
			}
			m.AMu[c*r+i] = float32(acc)
		}
	}
	return m, nil
}

// pinvSqrt returns A (R×D, row-major) with AᵀA = pinvh(cov): the
// eigenvectors of cov whose eigenvalues exceed D·ε·λ_max, scaled by λ^−½.
func pinvSqrt(cov *mat.SymDense) ([]float32, int, error) {
	d := cov.SymmetricDim()
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return nil, 0, fmt.Errorf("eigendecomposition of the %dx%d covariance failed", d, d)
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	lmax := 0.0
	for _, v := range vals {
		lmax = math.Max(lmax, math.Abs(v))
	}
	cut := float64(d) * 2.220446049250313e-16 * lmax
	var a []float32
	r := 0
	for k := d - 1; k >= 0; k-- { // largest first
		if vals[k] <= cut {
			continue
		}
		s := 1 / math.Sqrt(vals[k])
		for j := 0; j < d; j++ {
			a = append(a, float32(vecs.At(j, k)*s))
		}
		r++
	}
	if r == 0 {
		return nil, 0, fmt.Errorf("the training features have no variance")
	}
	return a, r, nil
}

// Name returns "mahalanobis".
func (m *Mahalanobis) Name() string { return "mahalanobis" }

// ScoreImages scores a batch: features, the distance to the nearest class
// on the feature grid, upsampled.
func (m *Mahalanobis) ScoreImages(model Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	return nativeScores(m.Name(), model, images, m.ScoreFeatures)
}

// ScoreFeatures writes the score of every pixel of features [N,D,h,w]
// into out (N·h·w values).
func (m *Mahalanobis) ScoreFeatures(feat *tensor.Tensor, out []float32) error {
	if err := checkWidth(feat, m.D); err != nil {
		return err
	}
	n, d, h, w := feat.NCHW()
	hw := h * w
	z := make([]float32, m.R*hw)
	for img := 0; img < n; img++ {
		gemm.Sgemm(false, false, m.R, hw, d, 1, m.A, d, feat.Data[img*d*hw:], hw, 0, z, hw)
		o := out[img*hw : (img+1)*hw]
		for j := range o {
			o[j] = float32(math.Inf(1))
		}
		dist := make([]float32, hw)
		for c := 0; c < m.K; c++ {
			if !m.Present[c] {
				continue
			}
			clear(dist)
			for i := 0; i < m.R; i++ {
				mu := m.AMu[c*m.R+i]
				for j, v := range z[i*hw : (i+1)*hw] {
					e := v - mu
					dist[j] += e * e
				}
			}
			for j, v := range dist {
				o[j] = min(o[j], v)
			}
		}
	}
	return nil
}
