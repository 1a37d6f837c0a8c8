package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/npy"
)

// Fixtures are written by testdata/gen_sklearn.py with scikit-learn.

type binaryFixture struct {
	AP          float64 `json:"ap"`
	AUROC       float64 `json:"auroc"`
	FPR95       float64 `json:"fpr95"`
	Threshold95 float64 `json:"threshold95"`
	Pixels      int64   `json:"pixels"`
	Positives   int64   `json:"positives"`
	Curve       *struct {
		Thresholds []float64 `json:"thresholds"`
		TP         []int64   `json:"tp"`
		FP         []int64   `json:"fp"`
	} `json:"curve"`
}

var binaryCases = []string{"ties", "continuous", "allequal", "single_positive", "wide", "narrow"}

func readNPY[T float32 | uint8](t testing.TB, name string) []T {
	t.Helper()
	path := filepath.Join("testdata", name)
	var out []T
	switch p := any(&out).(type) {
	case *[]float32:
		_, data, err := npy.ReadFloat32(path)
		if err != nil {
			t.Fatal(err)
		}
		*p = data
	case *[]uint8:
		_, data, err := npy.ReadUint8(path)
		if err != nil {
			t.Fatal(err)
		}
		*p = data
	}
	return out
}

func readExpected(t testing.TB) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func loadBinaryFixture(t testing.TB, name string) ([]float32, []uint8, binaryFixture) {
	var want binaryFixture
	if err := json.Unmarshal(readExpected(t)[name], &want); err != nil {
		t.Fatal(err)
	}
	return readNPY[float32](t, name+"_scores.npy"), readNPY[uint8](t, name+"_labels.npy"), want
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// withEngines runs f with the small-input sort path and with the bucketed
// engine forced for every size.
func withEngines(t *testing.T, f func(t *testing.T)) {
	t.Run("sort", f)
	t.Run("bucketed", func(t *testing.T) {
		defer func(v int) { smallExactMax = v }(smallExactMax)
		smallExactMax = -1
		f(t)
	})
}

func TestExactMatchesSklearn(t *testing.T) {
	withEngines(t, testExactMatchesSklearn)
}

func testExactMatchesSklearn(t *testing.T) {
	for _, name := range binaryCases {
		t.Run(name, func(t *testing.T) {
			s, l, want := loadBinaryFixture(t, name)
			got, err := Exact(s, l, DefaultIgnore)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.AP, want.AP, 1e-9) || !near(got.AUROC, want.AUROC, 1e-9) || !near(got.FPR95, want.FPR95, 1e-9) {
				t.Errorf("got ap=%.12f auroc=%.12f fpr95=%.12f, sklearn ap=%.12f auroc=%.12f fpr95=%.12f",
					got.AP, got.AUROC, got.FPR95, want.AP, want.AUROC, want.FPR95)
			}
			if float64(got.Threshold95) != want.Threshold95 {
				t.Errorf("threshold95 = %v, want %v", got.Threshold95, want.Threshold95)
			}
			if got.Pixels != want.Pixels || got.Positives != want.Positives {
				t.Errorf("pixels/positives = %d/%d, want %d/%d", got.Pixels, got.Positives, want.Pixels, want.Positives)
			}
			if want.Curve == nil {
				return
			}
			_, c, err := ExactCurve(s, l, DefaultIgnore)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Thresholds) != len(want.Curve.Thresholds) {
				t.Fatalf("curve has %d points, sklearn %d", len(c.Thresholds), len(want.Curve.Thresholds))
			}
			for i := range c.Thresholds {
				if float64(c.Thresholds[i]) != want.Curve.Thresholds[i] || c.TP[i] != want.Curve.TP[i] || c.FP[i] != want.Curve.FP[i] {
					t.Fatalf("curve point %d: (%v,%d,%d), sklearn (%v,%d,%d)", i, c.Thresholds[i], c.TP[i], c.FP[i],
						want.Curve.Thresholds[i], want.Curve.TP[i], want.Curve.FP[i])
				}
			}
		})
	}
}
