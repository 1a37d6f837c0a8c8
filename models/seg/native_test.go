package seg

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/tensor"
)

// NativeLogits followed by UpsampleNative must be exactly Logits, at sizes
// with and without padding, and leave the training mode as it was.
func TestNativeLogitsUpsampleEqualsLogits(t *testing.T) {
	for _, stride := range []int{4, 2} {
		cfg := testConfig(4)
		cfg.OutputStride = stride
		m := newTestModel(t, cfg, 5)
		if m.FeatureStride() != stride {
			t.Fatalf("FeatureStride %d, want %d", m.FeatureStride(), stride)
		}
		checkNativeUpsample(t, m)
	}
}

func checkNativeUpsample(t *testing.T, m *Model) {
	m.SetTraining(true)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, sz := range [][2]int{{32, 48}, {23, 41}, {1, 17}} {
		h, w := sz[0], sz[1]
		x := randImages(rng, 2, h, w)
		native, err := m.NativeLogits(x)
		if err != nil {
			t.Fatal(err)
		}
		ph, pw := m.PaddedSize(h, w)
		if want := []int{2, 4, ph / m.FeatureStride(), pw / m.FeatureStride()}; !tensor.ShapeEqual(native.Shape, want) {
			t.Fatalf("%dx%d: native shape %v, want %v", h, w, native.Shape, want)
		}
		up, err := m.UpsampleNative(native, h, w)
		if err != nil {
			t.Fatal(err)
		}
		full, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		if !equalData(up, full) {
			t.Errorf("%dx%d: UpsampleNative(NativeLogits(x)) != Logits(x)", h, w)
		}
	}
	if !m.Training() {
		t.Error("NativeLogits did not restore training mode")
	}
}

func TestNativeErrors(t *testing.T) {
	m := newTestModel(t, testConfig(3), 1)
	if _, err := m.NativeLogits(tensor.New(1, 2, 8, 8)); !errors.Is(err, ErrInput) {
		t.Errorf("2-channel images: %v", err)
	}
	if _, err := m.NativeLogits(nil); !errors.Is(err, ErrInput) {
		t.Errorf("nil images: %v", err)
	}
	for _, c := range []struct {
		x    *tensor.Tensor
		h, w int
	}{
		{nil, 16, 16},
		{tensor.New(1, 1, 4, 4), 0, 16},
		{tensor.New(1, 1, 4, 4), 33, 16}, // 33 rows pad to 48: a 12-row grid
		{tensor.New(1, 4, 4), 16, 16},
	} {
		if _, err := m.UpsampleNative(c.x, c.h, c.w); !errors.Is(err, ErrInput) {
			t.Errorf("UpsampleNative(%v, %d, %d): %v", c.x, c.h, c.w, err)
		}
	}
}
