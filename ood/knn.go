package ood

import (
	"fmt"
	"math"

	"github.com/nflowjs/nflowjs/tensor"
	"github.com/nflowjs/nflowjs/tensor/gemm"
)

// kNN settings.
const (
	// DefaultKNNNeighbours is the k of knn (the k-th nearest training
	// feature). The paper's 50 is for the whole CIFAR training set; it
	// scales k with the share of the training set in the bank, and a bank
	// of DefaultKNNBank pixels is a small share of a training set's pixels.
	DefaultKNNNeighbours = 10
	// DefaultKNNBank is how many sampled training pixels the bank keeps:
	// scoring costs 2·bank·D flops per feature pixel.
	DefaultKNNBank = 8192
)

// KNN is the deep nearest-neighbour score of Sun et al. ("Out-of-
// Distribution Detection with Deep Nearest Neighbors", ICML 2022) per pixel
// of the pre-logit feature map: features are L2-normalised (x/(‖x‖+1e-10),
// as their code does), and the score is the squared Euclidean distance to
// the k-th nearest of a bank of normalised training features (their
// faiss IndexFlatL2 distance, negated there as an in-distribution score),
// higher = more anomalous.
type KNN struct {
	D, K int
	Bank []float32 // n×D normalised, row-major
	norm []float32 // ‖bank row‖²
}

// NewKNN fits kNN on a feature sample: the first bank pixels of the sample
// (a uniform random sample already), k neighbours.
func NewKNN(s *FeatureSample, k, bank int) (*KNN, error) {
	if k < 1 {
		k = DefaultKNNNeighbours
	}
	if bank < 1 {
		bank = DefaultKNNBank
	}
	n := min(bank, s.Len())
	if n < k {
		return nil, fmt.Errorf("ood: knn: %d training pixels for k = %d", n, k)
	}
	m := &KNN{D: s.D, K: k, Bank: make([]float32, n*s.D), norm: make([]float32, n)}
	for i := 0; i < n; i++ {
		normalise(m.Bank[i*s.D:(i+1)*s.D], s.Feats[i*s.D:(i+1)*s.D])
		var ss float32
		for _, v := range m.Bank[i*s.D : (i+1)*s.D] {
			ss += v * v
		}
		m.norm[i] = ss
	}
	return m, nil
}

// normalise writes x/(‖x‖ + 1e-10) into dst.
func normalise(dst, x []float32) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	inv := 1 / (math.Sqrt(ss) + 1e-10)
	for i, v := range x {
		dst[i] = float32(float64(v) * inv)
	}
}

// Name returns e.g. "knn(k=10)".
func (m *KNN) Name() string { return fmt.Sprintf("knn(k=%d)", m.K) }

// ScoreImages scores a batch on the feature grid and upsamples.
func (m *KNN) ScoreImages(model Model, images *tensor.Tensor) (*tensor.Tensor, error) {
	return nativeScores(m.Name(), model, images, m.ScoreFeatures)
}

// knnChunk is how many pixels share one bank×pixels product.
const knnChunk = 128

// ScoreFeatures writes the score of every pixel of features [N,D,h,w]
// into out (N·h·w values).
func (m *KNN) ScoreFeatures(feat *tensor.Tensor, out []float32) error {
	if err := checkWidth(feat, m.D); err != nil {
		return err
	}
	n, d, h, w := feat.NCHW()
	hw, nb := h*w, len(m.norm)
	chunks := (hw + knnChunk - 1) / knnChunk
	// Chunks of pixels in parallel, each with its own buffers and a
	// serial product.
	tensor.ParallelFor(n*chunks, func(t0, t1 int) {
		z := make([]float32, d*knnChunk) // normalised pixels, channel-major
		px := make([]float32, d)
		zn := make([]float32, knnChunk)
		sim := make([]float32, nb*knnChunk)
		dist := make([]float32, nb)
		for t := t0; t < t1; t++ {
			img, p0 := t/chunks, (t%chunks)*knnChunk
			f := feat.Data[img*d*hw : (img+1)*d*hw]
			c := min(knnChunk, hw-p0)
			for j := 0; j < c; j++ {
				for ch := 0; ch < d; ch++ {
					px[ch] = f[ch*hw+p0+j]
				}
				normalise(px, px)
				var ss float32
				for ch, v := range px {
					z[ch*c+j] = v
					ss += v * v
				}
				zn[j] = ss
			}
			gemm.SgemmSerial(false, false, nb, c, d, 1, m.Bank, d, z, c, 0, sim, c)
			for j := 0; j < c; j++ {
				for i := 0; i < nb; i++ {
					dist[i] = m.norm[i] + zn[j] - 2*sim[i*c+j]
				}
				out[img*hw+p0+j] = max(0, kthSmallest(dist, m.K))
			}
		}
	})
	return nil
}

// kthSmallest returns the k-th smallest value of a (1-based k), reordering
// a (Hoare's selection with median-of-three pivots).
func kthSmallest(a []float32, k int) float32 {
	lo, hi, want := 0, len(a)-1, k-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if a[mid] < a[lo] {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if a[hi] < a[lo] {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if a[hi] < a[mid] {
			a[hi], a[mid] = a[mid], a[hi]
		}
		pivot := a[mid]
		i, j := lo, hi
		for i <= j {
			for a[i] < pivot {
				i++
			}
			for a[j] > pivot {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case want <= j:
			hi = j
		case want >= i:
			lo = i
		default:
			return a[want]
		}
	}
	return a[want]
}
