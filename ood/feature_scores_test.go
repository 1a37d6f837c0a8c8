package ood

import (
	"encoding/json"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

type featureFixture struct {
	D, K        int
	Feats       []float32
	Classes     []int32
	Test        []float32
	W, B        []float32
	Mahalanobis []float64
	ViM         []float64 `json:"vim"`
	ViMAlpha    float64   `json:"vim_alpha"`
	KNNK        int       `json:"knn_k"`
	KNNBank     int       `json:"knn_bank"`
	KNN         []float64 `json:"knn"`
}

// sampleOf builds a FeatureSample holding exactly the fixture's pixels.
func (f *featureFixture) sampleOf() *FeatureSample {
	return &FeatureSample{D: f.D, K: f.K, Feats: f.Feats, Class: f.Classes}
}

// testFeatures lays the fixture's test pixels out as features [1,D,1,M].
func (f *featureFixture) testFeatures() *tensor.Tensor {
	m := len(f.Test) / f.D
	t := tensor.New(1, f.D, 1, m)
	for i := 0; i < m; i++ {
		for d := 0; d < f.D; d++ {
			t.Data[d*m+i] = f.Test[i*f.D+d]
		}
	}
	return t
}

func loadFeatureFixture(t *testing.T) *featureFixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/feature_scores.json")
	if err != nil {
		t.Fatal(err)
	}
	var f featureFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func assertScores(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > tol*(1+math.Abs(w)) {
			t.Errorf("%s: pixel %d: %v, want %v", name, i, got[i], w)
		}
	}
}

// Mahalanobis, ViM and kNN against NumPy/SciPy transcriptions of the
// authors' code (testdata/gen_feature_scores.py), on features with a dead
// channel (a singular covariance, which pinvh handles).
func TestFeatureScoresMatchReference(t *testing.T) {
	f := loadFeatureFixture(t)
	feat := f.testFeatures()
	out := make([]float32, len(f.Test)/f.D)

	m, err := NewMahalanobis(f.sampleOf())
	if err != nil {
		t.Fatal(err)
	}
	if m.R != f.D-1 {
		t.Errorf("mahalanobis: rank %d, want %d (one dead channel)", m.R, f.D-1)
	}
	if err := m.ScoreFeatures(feat, out); err != nil {
		t.Fatal(err)
	}
	assertScores(t, "mahalanobis", out, f.Mahalanobis, 2e-4)

	v, err := NewViM(f.sampleOf(), tensor.FromData(f.W, f.K, f.D), tensor.FromData(f.B, f.K))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(v.Alpha)-f.ViMAlpha) > 1e-5*math.Abs(f.ViMAlpha) {
		t.Errorf("vim: alpha %v, want %v", v.Alpha, f.ViMAlpha)
	}
	if err := v.ScoreFeatures(feat, out); err != nil {
		t.Fatal(err)
	}
	assertScores(t, "vim", out, f.ViM, 2e-4)

	k, err := NewKNN(f.sampleOf(), f.KNNK, f.KNNBank)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.ScoreFeatures(feat, out); err != nil {
		t.Fatal(err)
	}
	assertScores(t, "knn", out, f.KNN, 1e-5)
}

// Mahalanobis by hand: two classes in 2-D at (0,0) and (4,0) whose
// class-centred features have covariance diag(1, 4); the distance of
// (1, 2) is min(1 + 4/4, 9 + 4/4) = 2, of (4, -4) min(16+4, 0+4) = 4.
func TestMahalanobisByHand(t *testing.T) {
	// Each class: its mean ± (1, 0) and ± (0, 2): variances 1/2 and 2 ...
	// scaled: ±(√2, 0), ±(0, 2√2) give variances 1 and 4.
	r2 := float32(math.Sqrt2)
	var feats []float32
	var cls []int32
	for c, mx := range []float32{0, 4} {
		for _, p := range [][2]float32{{r2, 0}, {-r2, 0}, {0, 2 * r2}, {0, -2 * r2}} {
			feats = append(feats, mx+p[0], p[1])
			cls = append(cls, int32(c))
		}
	}
	m, err := NewMahalanobis(&FeatureSample{D: 2, K: 2, Feats: feats, Class: cls})
	if err != nil {
		t.Fatal(err)
	}
	feat := tensor.FromData([]float32{1, 4, 2, -4}, 1, 2, 1, 2) // pixels (1,2), (4,-4)
	out := make([]float32, 2)
	if err := m.ScoreFeatures(feat, out); err != nil {
		t.Fatal(err)
	}
	assertScores(t, "mahalanobis", out, []float64{2, 4}, 1e-6)
}

// kNN by hand: a bank of the unit vectors e1, e2 and −e1; the pixel (3, 0)
// normalises to e1, at squared distance 0, 2 and 4 from them.
func TestKNNByHand(t *testing.T) {
	s := &FeatureSample{D: 2, K: 1, Feats: []float32{1, 0, 0, 5, -2, 0}, Class: []int32{0, 0, 0}}
	feat := tensor.FromData([]float32{3, 0}, 1, 2, 1, 1)
	out := make([]float32, 1)
	for k, want := range []float64{0, 2, 4} {
		m, err := NewKNN(s, k+1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.ScoreFeatures(feat, out); err != nil {
			t.Fatal(err)
		}
		assertScores(t, "knn", out, []float64{want}, 1e-6)
	}
}

// ViM's virtual logit by hand: with W = I (2 classes, D = 4 features: two
// of them outside the head's span), b = 0, u = 0 and the principal space
// spanned by the first two axes, the residual of f is ‖(f3, f4)‖.
func TestViMByHand(t *testing.T) {
	// Training pixels with large variance on axes 1-2 (covariance 2.25),
	// small on 3-4 (0.0025), uncorrelated.
	var feats []float32
	for _, p := range [][4]float32{{3, 0, 0, 0}, {-3, 0, 0, 0}, {0, 3, 0, 0}, {0, -3, 0, 0},
		{0, 0, 0.1, 0}, {0, 0, -0.1, 0}, {0, 0, 0, 0.1}, {0, 0, 0, -0.1}} {
		feats = append(feats, p[:]...)
	}
	w := tensor.FromData([]float32{1, 0, 0, 0, 0, 1, 0, 0}, 2, 4)
	v, err := NewViM(&FeatureSample{D: 4, K: 2, Feats: feats, Class: make([]int32, 8)}, w, nil)
	if err != nil {
		t.Fatal(err)
	}
	// α = mean max logit / mean residual = (3+0+3+0+0·4)/8 / (0.1·4/8) = 15.
	if math.Abs(float64(v.Alpha)-15) > 1e-4 {
		t.Fatalf("alpha %v, want 15", v.Alpha)
	}
	feat := tensor.FromData([]float32{1, 0, 3, 4}, 1, 4, 1, 1) // f = (1, 0, 3, 4)
	out := make([]float32, 1)
	if err := v.ScoreFeatures(feat, out); err != nil {
		t.Fatal(err)
	}
	// 15·5 − ln(e¹ + e⁰)
	assertScores(t, "vim", out, []float64{75 - math.Log(math.E+1)}, 1e-6)
}

func TestKthSmallest(t *testing.T) {
	a := []float32{5, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}
	s := append([]float32(nil), a...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	for k := 1; k <= len(a); k++ {
		b := append([]float32(nil), a...)
		if got := kthSmallest(b, k); got != s[k-1] {
			t.Errorf("k=%d: %v, want %v", k, got, s[k-1])
		}
	}
}

// The sample keeps labelled inlier pixels only, the label taken at each
// feature pixel's centre, and at most max of them.
func TestFeatureSampleLabels(t *testing.T) {
	// One 4×4 image, features on a 2×2 grid (D = 1, value = pixel index).
	feat := tensor.FromData([]float32{0, 1, 2, 3}, 1, 1, 2, 2)
	labels := []uint8{
		0, 0, 1, 1,
		0, 0, 1, 255, // centre of feature (0,1) is image pixel (1,3)? no: (1, 3) → 255
		2, 2, 254, 254,
		2, 2, 254, 254,
	}
	s := NewFeatureSample(3, 0, 1)
	if err := s.Add(feat, labels, 4, 4); err != nil {
		t.Fatal(err)
	}
	// Centres: (1,1)→0 label 0; (1,3)→255 void; (3,1)→2; (3,3)→254 anomaly.
	if s.Len() != 2 || s.Class[0] != 0 || s.Class[1] != 2 || s.Feats[0] != 0 || s.Feats[1] != 2 {
		t.Fatalf("sample %v classes %v", s.Feats, s.Class)
	}
	small := NewFeatureSample(3, 1, 1)
	if err := small.Add(feat, labels, 4, 4); err != nil || small.Len() != 1 {
		t.Fatalf("capped sample: %d pixels, %v", small.Len(), err)
	}
}
