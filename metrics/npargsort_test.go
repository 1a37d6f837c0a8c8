package metrics

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// npArgsort gives NumPy's own permutation, ties included
// (testdata/gen_npargsort.py).
func TestNpArgsortMatchesNumPy(t *testing.T) {
	raw, err := os.ReadFile("testdata/npargsort.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []struct {
			Values  []float64 `json:"values"`
			Argsort []int     `json:"argsort"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	for _, c := range fx.Cases {
		if got := npArgsort(c.Values); !slices.Equal(got, c.Argsort) {
			t.Errorf("n=%d: permutation differs from NumPy's", len(c.Values))
		}
	}
}

// The heapsort fallback sorts (NumPy only reaches it on adversarial input).
func TestNpAheapsortSorts(t *testing.T) {
	v := []float64{5, 1, 4, 1, 3, 9, 2, 6, 5, 3, 5}
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	npAheapsort(v, idx)
	for i := 1; i < len(idx); i++ {
		if v[idx[i-1]] > v[idx[i]] {
			t.Fatalf("not sorted: %v", idx)
		}
	}
}
