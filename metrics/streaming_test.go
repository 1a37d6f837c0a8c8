package metrics

import (
	"math/rand/v2"
	"testing"
)

func checkWithinBound(t *testing.T, name string, ex, st Binary, bd Bounds) {
	t.Helper()
	const eps = 1e-12
	if d := ex.AP - st.AP; d > bd.AP+eps || -d > bd.AP+eps {
		t.Errorf("%s: |ΔAP| = %g > bound %g", name, d, bd.AP)
	}
	if d := ex.AUROC - st.AUROC; d > bd.AUROC+eps || -d > bd.AUROC+eps {
		t.Errorf("%s: |ΔAUROC| = %g > bound %g", name, d, bd.AUROC)
	}
	if d := ex.FPR95 - st.FPR95; d > bd.FPR95+eps || -d > bd.FPR95+eps {
		t.Errorf("%s: |ΔFPR95| = %g > bound %g", name, d, bd.FPR95)
	}
}

func TestStreamingWithinBound(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 20; trial++ {
		n := 100 + r.IntN(50000)
		s, l := randomCase(r, n)
		l[0], l[1] = 0, 1
		ex, err := Exact(s, l, 255)
		if err != nil {
			t.Fatal(err)
		}
		lin, _ := NewLinearHistogram(-3, 4, 1+r.IntN(5000))
		key, _ := NewKeyHistogram(8 + r.IntN(15))
		for _, h := range []*Histogram{lin, key} {
			// Feed in several batches, half of them through Merge.
			other := *h
			other.Pos = make([]uint64, len(h.Pos))
			other.Neg = make([]uint64, len(h.Neg))
			for start := 0; start < n; start += 997 {
				end := min(start+997, n)
				dst := h
				if (start/997)%2 == 1 {
					dst = &other
				}
				if err := dst.Add(s[start:end], l[start:end], 255); err != nil {
					t.Fatal(err)
				}
			}
			if err := h.Merge(&other); err != nil {
				t.Fatal(err)
			}
			st, bd, err := h.Result()
			if err != nil {
				t.Fatal(err)
			}
			if st.Pixels != ex.Pixels || st.Positives != ex.Positives {
				t.Fatalf("counts %d/%d, exact %d/%d", st.Pixels, st.Positives, ex.Pixels, ex.Positives)
			}
			checkWithinBound(t, "random", ex, st, bd)
		}
	}
}

// With one distinct score per bin the histogram is exact and the bound is
// attained only through ties, which both engines treat alike.
func TestStreamingExactWhenBinsSeparate(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	n := 20000
	s := make([]float32, n)
	l := make([]uint8, n)
	for i := range s {
		s[i] = float32(r.IntN(100)) + 0.5 // bin centres of [0,100) with 100 bins
		l[i] = uint8(r.IntN(2))
	}
	h, _ := NewLinearHistogram(0, 100, 100)
	if err := h.Add(s, l, 255); err != nil {
		t.Fatal(err)
	}
	st, _, err := h.Result()
	if err != nil {
		t.Fatal(err)
	}
	ex, _ := Exact(s, l, 255)
	if !near(st.AP, ex.AP, 1e-12) || !near(st.AUROC, ex.AUROC, 1e-12) || st.FPR95 != ex.FPR95 {
		t.Fatalf("streaming %+v, exact %+v", st, ex)
	}
	if st.Threshold95 != ex.Threshold95-0.5 {
		t.Fatalf("threshold %v, want bin low edge %v", st.Threshold95, ex.Threshold95-0.5)
	}
}

func TestStreamingErrors(t *testing.T) {
	if _, err := NewLinearHistogram(1, 1, 10); err == nil {
		t.Error("empty range accepted")
	}
	if _, err := NewKeyHistogram(30); err == nil {
		t.Error("30 bits accepted")
	}
	h, _ := NewKeyHistogram(12)
	if err := h.Add([]float32{1}, []uint8{3}, 255); err == nil {
		t.Error("label 3 accepted")
	}
	if _, _, err := h.Result(); err == nil {
		t.Error("empty histogram gave a result")
	}
	g, _ := NewKeyHistogram(13)
	if err := h.Merge(g); err == nil {
		t.Error("merged different binnings")
	}
}

func FuzzStreamingBound(f *testing.F) {
	f.Add(uint64(1), uint16(100), uint8(10))
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, bits uint8) {
		r := rand.New(rand.NewPCG(seed, 11))
		s, l := randomCase(r, int(n)+2)
		l[0], l[1] = 0, 1
		h, err := NewKeyHistogram(8 + int(bits)%19)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Add(s, l, 255); err != nil {
			t.Fatal(err)
		}
		st, bd, err := h.Result()
		if err != nil {
			t.Fatal(err)
		}
		ex, err := Exact(s, l, 255)
		if err != nil {
			t.Fatal(err)
		}
		checkWithinBound(t, "fuzz", ex, st, bd)
	})
}

// Counts of 1e10-pixel datasets overflow a 64-bit AUROC numerator; the
// result must still be exact for synthetic counts.
func TestStreamingHugeCounts(t *testing.T) {
	h, _ := NewLinearHistogram(0, 2, 2)
	// Bin 1 (high scores): 4e9 positives, 1e9 negatives; bin 0: 1e9
	// positives, 6e9 negatives. P = 5e9, N = 7e9.
	h.Pos[1], h.Neg[1] = 4e9, 1e9
	h.Pos[0], h.Neg[0] = 1e9, 6e9
	r, _, err := h.Result()
	if err != nil {
		t.Fatal(err)
	}
	P, N := 5e9, 7e9
	// ROC points (1/7, 4/5) and (1, 1).
	auc := (1/7.0)*(4/5.0)/2 + (6/7.0)*(4/5.0+1)/2
	ap := 4e9/P*(4.0/5) + 1e9/P*(5.0/12)
	if !near(r.AUROC, auc, 1e-12) || !near(r.AP, ap, 1e-12) || r.Pixels != int64(P+N) {
		t.Fatalf("%+v, want auroc %v ap %v", r, auc, ap)
	}
}
