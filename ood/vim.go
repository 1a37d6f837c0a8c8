package ood

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// ViM is the Virtual-logit Matching score of Wang et al. ("ViM:
// Out-Of-Distribution with Virtual-logit Matching", CVPR 2022) per pixel of
// the pre-logit feature map, as the authors' code computes it
// (haoqiwang/vim, benchmark.py):
//
//	u = −(W)⁺ b                       the origin where every logit is 0
//	NS = eigenvectors of cov(f − u) (not centred), all but the DIM largest
//	α = mean max_k l_k / mean ‖(f − u)·NS‖   over training pixels
//	score(f) = α‖(f − u)·NS‖ − ln Σ_k exp(l_k)   (= −(their ID score))
//
// higher = more anomalous. DIM follows their rule: 1000 for D ≥ 2048, 512
// for D ≥ 768, else D/2. The model's head must be one linear map of the
// features (LinearHeadModel).
type ViM struct {
	D, K, Dim int
	W, B      []float32 // the head, K×D and K
	U         []float32 // origin, D
	NS        []float32 // (D−Dim)×D, row-major: the residual basis as rows
	Alpha     float32
}

// ViMDim is the principal-space dimension of the authors' rule.
func ViMDim(d int) int {
	switch {
	case d >= 2048:
		return 1000
	case d >= 768:
		return 512
	}
	return d / 2
}

// NewViM fits ViM on a feature sample for a head w [K,D], b [K] (b may be
// nil).
func NewViM(s *FeatureSample, w, b *tensor.Tensor) (*ViM, error) {
	n, d := s.Len(), s.D
	if n < 2 || d < 2 {
		return nil, fmt.Errorf("ood: vim: %d training pixels of %d channels to fit on", n, d)
	}
	if w == nil || w.Dims() != 2 || w.Shape[1] != d || (b != nil && len(b.Data) != w.Shape[0]) {
		return nil, fmt.Errorf("ood: vim: head weight %v / bias %v for %d feature channels", shapeOf(w), shapeOf(b), d)
	}
	k := w.Shape[0]
	v := &ViM{D: d, K: k, Dim: ViMDim(d), W: w.Data, B: make([]float32, k)}
	if b != nil {
		copy(v.B, b.Data)
	}
	// u = −pinv(W)·b, pinv by SVD (numpy.linalg.pinv: rcond 1e-15·σ_max).
	wm := mat.NewDense(k, d, nil)
	for i := 0; i < k; i++ {
		for j := 0; j < d; j++ {
			wm.Set(i, j, float64(w.Data[i*d+j]))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(wm, mat.SVDThin) {
		return nil, fmt.Errorf("ood: vim: SVD of the head weight failed")
	}
	sv := svd.Values(nil)
	var uu, vv mat.Dense
	svd.UTo(&uu)
	svd.VTo(&vv)
	cut := 1e-15 * sv[0]
	v.U = make([]float32, d)
	for r, sr := range sv {
		if sr <= cut {
			continue
		}
		var ub float64 // u_rᵀ b
		for i := 0; i < k; i++ {
			ub += uu.At(i, r) * float64(v.B[i])
		}
		for j := 0; j < d; j++ {
			v.U[j] -= float32(vv.At(j, r) * ub / sr)
		}
	}
	// Covariance of f − u about 0 (EmpiricalCovariance(assume_centered=True)).
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j, f := range s.Feats[i*d : (i+1)*d] {
			x.Set(i, j, float64(f)-float64(v.U[j]))
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1/float64(n), x.T())
	var eig mat.EigenSym
	if !eig.Factorize(&cov, true) {
		return nil, fmt.Errorf("ood: vim: eigendecomposition of the %dx%d covariance failed", d, d)
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	for _, col := range order[v.Dim:] {
		for j := 0; j < d; j++ {
			v.NS = append(v.NS, float32(vecs.At(j, col)))
		}
	}
	// α from the training pixels' max logits and residual norms.
	var maxSum, resSum float64
	for i := 0; i < n; i++ {
		f := s.Feats[i*d : (i+1)*d]
		ml := math.Inf(-1)
		for c := 0; c < k; c++ {
			l := float64(v.B[c])
			for j, fv := range f {
				l += float64(v.W[c*d+j]) * float64(fv)
			}
			ml = math.Max(ml, l)
		}
		maxSum += ml
		resSum += v.residual64(f)
	}
	if resSum == 0 {
		return nil, fmt.Errorf("ood: vim: the training features have no residual outside the principal space")
	}
	v.Alpha = float32(maxSum / resSum)
	return v, nil
}

// residual64 is ‖(f − u)·NS‖ in float64 (fitting).
func (v *ViM) residual64(f []float32) float64 {
	var ss float64
	r := v.D - v.Dim
	for i := 0; i < r; i++ {
		var p float64
		for j, fv := range f {
			p += (float64(fv) - float64(v.U[j])) * float64(v.NS[i*v.D+j])
		}
		ss += p * p
	}
	return math.Sqrt(ss)
}

// Name returns "vim".
func (v *ViM) Name() string { return "vim" }

// ScoreImages scores a batch on the feature grid and upsamples.
func (v *ViM) ScoreImages(model Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	return nativeScores(v.Name(), model, images, v.ScoreFeatures)
}

// ScoreFeatures writes the score of every pixel of features [N,D,h,w]
// into out (N·h·w values).
func (v *ViM) ScoreFeatures(feat *tensor.Tensor, out []float32) error {
	if err := checkWidth(feat, v.D); err != nil {
		return err
	}
	n, d, h, w := feat.NCHW()
	hw, r := h*w, v.D-v.Dim
	centred := make([]float32, d*hw)
	proj := make([]float32, r*hw)
	logits := make([]float32, v.K*hw)
	for img := 0; img < n; img++ {
		f := feat.Data[img*d*hw : (img+1)*d*hw]
		for j := 0; j < d; j++ {
			for p, x := range f[j*hw : (j+1)*hw] {
				centred[j*hw+p] = x - v.U[j]
			}
		}
		gemm.Sgemm(false, false, r, hw, d, 1, v.NS, d, centred, hw, 0, proj, hw)
		gemm.Sgemm(false, false, v.K, hw, d, 1, v.W, d, f, hw, 0, logits, hw)
		o := out[img*hw : (img+1)*hw]
		for p := range o {
			var ss float64
			for i := 0; i < r; i++ {
				e := float64(proj[i*hw+p])
				ss += e * e
			}
			m := math.Inf(-1)
			for c := 0; c < v.K; c++ {
				m = math.Max(m, float64(logits[c*hw+p]+v.B[c]))
			}
			var se float64
			for c := 0; c < v.K; c++ {
				se += math.Exp(float64(logits[c*hw+p]+v.B[c]) - m)
			}
			o[p] = float32(float64(v.Alpha)*math.Sqrt(ss) - (m + math.Log(se)))
		}
	}
	return nil
}
