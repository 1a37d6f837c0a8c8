package joint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// GMM negatives: the virtual outliers of VOS (Du et al., "VOS: Learning What
// You Don't Know by Virtual Outlier Synthesis", ICLR 2022), the paper's
// Table 8 row "synthetic pre-logit features". Instead of pasting image
// patches, each step samples pre-logit feature vectors of low likelihood
// under class-conditional Gaussians with a shared covariance, fitted on the
// training pixels' features, and applies L_neg to the classifier head's
// posterior on them: the head learns to answer "uniform" away from the
// inlier clusters.
//
// VOS draws N = 10000 candidates per class from N(μ_k, Σ) and keeps the S
// of lowest density. Under its own class's Gaussian the density of
// x = μ_k + L·z (Σ = L·Lᵀ) falls with ‖z‖², so the kept candidates are the
// S largest of N chi-square(D) radii with uniform directions. GMMNegatives
// samples exactly that distribution without the N candidates: the top S
// order statistics of N uniforms (U₍N₎ = V₁^{1/N}, U₍N−j₎ = U₍N−j+1₎·V^{1/(N−j)}),
// mapped through the chi-square quantile, times a uniform direction.

// GMM sampling defaults.
const (
	DefaultGMMCandidates = 10000 // VOS's sample_number
	DefaultGMMSelect     = 16    // kept per class and step (VOS keeps 1; a dense head gets K·16 vectors)
	DefaultGMMFitImages  = 64    // training images the Gaussians are fitted on
)

// GMMNegatives samples virtual outlier features.
type GMMNegatives struct {
	K, D int
	Mu   []float64 // K×D class means
	L    []float64 // D×D lower Cholesky factor of the shared covariance (+ ridge)
	// Present marks the classes with training pixels (the others are not
	// sampled).
	Present    []bool
	Candidates int // N
	Select     int // S
	// Ridge is the multiple of the covariance's mean variance added to its
	// diagonal so that dead feature channels keep it positive definite.
	Ridge float64
}

// gmmRidge is GMMNegatives.Ridge's default.
const gmmRidge = 1e-4

// NewGMMNegatives fits the class Gaussians on a labelled feature sample.
func NewGMMNegatives(s *ood.FeatureSample, candidates, sel int) (*GMMNegatives, error) {
	if candidates < 1 || sel < 1 || sel > candidates {
		return nil, fmt.Errorf("%w: GMM negatives: keep %d of %d candidates", ErrConfig, sel, candidates)
	}
	mu, cov, present, err := ood.ClassGaussians(s)
	if err != nil {
		return nil, fmt.Errorf("joint: GMM negatives: %w", err)
	}
	d := s.D
	var tr float64
	for i := 0; i < d; i++ {
		tr += cov.At(i, i)
	}
	if !(tr > 0) {
		return nil, fmt.Errorf("joint: GMM negatives: the training features have no variance")
	}
	reg := mat.NewSymDense(d, nil)
	reg.CopySym(cov)
	for i := 0; i < d; i++ {
		reg.SetSym(i, i, reg.At(i, i)+gmmRidge*tr/float64(d))
	}
	var ch mat.Cholesky
	if !ch.Factorize(reg) {
		return nil, fmt.Errorf("joint: GMM negatives: the feature covariance is not positive definite")
	}
	var l mat.TriDense
	ch.LTo(&l)
	g := &GMMNegatives{K: s.K, D: d, Mu: mu, L: make([]float64, d*d), Present: present, Candidates: candidates, Select: sel, Ridge: gmmRidge}
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			g.L[i*d+j] = l.At(i, j)
		}
	}
	return g, nil
}

// FitGMMNegatives fits the Gaussians on the features of up to images
// training images of split (normalised with mean and std), as the model
// computes them in evaluation mode.
func FitGMMNegatives(m ood.FeatureModel, split *dataset.Split, mean, std [3]float32, images, batch int, seed uint64) (*GMMNegatives, error) {
	loader, err := dataset.NewLoader(split.EvenSubset(images), dataset.LoaderConfig{BatchSize: batch, Mean: mean, Std: std})
	if err != nil {
		return nil, err
	}
	it := loader.Epoch(context.Background(), 0)
	defer it.Close()
	sample := ood.NewFeatureSample(len(split.Meta.Classes), 0, seed)
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		feat, err := m.Features(tensor.FromData(b.Images, b.N, 3, b.H, b.W))
		if err != nil {
			return nil, err
		}
		if err := sample.Add(feat, b.Labels, b.H, b.W); err != nil {
			return nil, err
		}
	}
	return NewGMMNegatives(sample, DefaultGMMCandidates, DefaultGMMSelect)
}

// Name describes the source for logs.
func (g *GMMNegatives) Name() string {
	return fmt.Sprintf("gmm(keep %d of %d per class)", g.Select, g.Candidates)
}

// Sample returns this step's virtual outliers as a feature map
// [1, D, 1, M] (M = Select × present classes).
func (g *GMMNegatives) Sample(rng *rand.Rand) *tensor.Tensor {
	chi := distuv.ChiSquared{K: float64(g.D)}
	var cols [][]float64
	z := make([]float64, g.D)
	for k := 0; k < g.K; k++ {
		if !g.Present[k] {
			continue
		}
		u := 1.0
		for j := 0; j < g.Select; j++ {
			// The (j+1)-th largest of N uniforms, given the j-th.
			u *= math.Pow(rng.Float64(), 1/float64(g.Candidates-j))
			r := math.Sqrt(chi.Quantile(u))
			var nn float64
			for i := range z {
				z[i] = rng.NormFloat64()
				nn += z[i] * z[i]
			}
			scale := r / math.Sqrt(nn)
			v := make([]float64, g.D)
			for i := 0; i < g.D; i++ {
				acc := g.Mu[k*g.D+i]
				for j2 := 0; j2 <= i; j2++ {
					acc += g.L[i*g.D+j2] * z[j2] * scale
				}
				v[i] = acc
			}
			cols = append(cols, v)
		}
	}
	m := len(cols)
	out := tensor.New(1, g.D, 1, m)
	for c, v := range cols {
		for i, x := range v {
			out.Data[i*m+c] = float32(x)
		}
	}
	return out
}

// A HeadClassifier maps pre-logit feature maps to native logits with its
// final classifier (no dropout, no upsampling), differentiably:
// models/seg's Model implements it.
type HeadClassifier interface {
	HeadLogits(features *autograd.Var) *autograd.Var
}
