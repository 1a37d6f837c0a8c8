package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestExactHandComputed(t *testing.T) { withEngines(t, testExactHandComputed) }

func testExactHandComputed(t *testing.T) {
	const tol = 1e-12
	cases := []struct {
		name              string
		s                 []float32
		l                 []uint8
		ap, auroc, fpr95  float64
		thr               float32
		pixels, positives int64
	}{
		// sklearn's docstring example: AP 0.8333, AUROC 0.75.
		{"docstring", []float32{0.1, 0.4, 0.35, 0.8}, []uint8{0, 0, 1, 1}, 5.0 / 6, 0.75, 0.5, 0.35, 4, 2},
		// All scores equal: one group, precision 1/2 at recall 1.
		{"all-equal", []float32{0.5, 0.5, 0.5, 0.5}, []uint8{1, 0, 1, 0}, 0.5, 0.5, 1, 0.5, 4, 2},
		// A single positive ranked last.
		{"single-positive", []float32{0.9, 0.5, 0.7}, []uint8{0, 1, 0}, 1.0 / 3, 0, 1, 0.5, 3, 1},
		// A tie between a positive and a negative at the top:
		// AP = 1/2·1/2 + 1/2·2/3, AUROC = 1·(0+1/2)/2.
		{"tie-top", []float32{1, 1, 0}, []uint8{1, 0, 1}, 0.25 + 1.0/3, 0.25, 1, 0, 3, 2},
		// Void pixels are dropped: only (0.2,0) and (0.3,1) remain.
		{"void", []float32{5, 0.2, 0.3, -7}, []uint8{255, 0, 1, 255}, 1, 1, 0, 0.3, 2, 1},
		// Negative zero ties with zero.
		{"signed-zero", []float32{float32(math.Copysign(0, -1)), 0}, []uint8{1, 0}, 0.5, 0.5, 1, 0, 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Exact(c.s, c.l, 255)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.AP, c.ap, tol) || !near(got.AUROC, c.auroc, tol) || !near(got.FPR95, c.fpr95, tol) ||
				got.Threshold95 != c.thr || got.Pixels != c.pixels || got.Positives != c.positives {
				t.Errorf("got %+v, want ap=%v auroc=%v fpr95=%v thr=%v pixels=%d positives=%d",
					got, c.ap, c.auroc, c.fpr95, c.thr, c.pixels, c.positives)
			}
		})
	}
}

func TestExactErrors(t *testing.T) { withEngines(t, testExactErrors) }

func testExactErrors(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name string
		s    []float32
		l    []uint8
		want error
	}{
		{"length", []float32{1, 2}, []uint8{1}, ErrShape},
		{"label", []float32{1, 2}, []uint8{1, 2}, ErrLabel},
		{"nan", []float32{1, nan}, []uint8{1, 0}, ErrNaN},
		{"nan-in-void-is-fine-but-no-negatives", []float32{1, nan}, []uint8{1, 255}, ErrNoNegatives},
		{"no-positives", []float32{1, 2}, []uint8{0, 0}, ErrNoPositives},
		{"empty", nil, nil, ErrNoPositives},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Exact(c.s, c.l, 255)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
}

// naiveBinary is an O(n²)-free but straightforward oracle: sort indices by
// score and walk groups, in float64.
func naiveBinary(s []float32, l []uint8) Binary {
	type pt struct {
		s float32
		l uint8
	}
	var pts []pt
	for i := range s {
		if l[i] <= 1 {
			v := s[i]
			if v == 0 {
				v = 0
			}
			pts = append(pts, pt{v, l[i]})
		}
	}
	sortSlice(pts, func(a, b pt) bool { return a.s > b.s })
	var P, N float64
	for _, p := range pts {
		if p.l == 1 {
			P++
		} else {
			N++
		}
	}
	var tp, fp, ap, auc float64
	fpr95 := -1.0
	for i := 0; i < len(pts); {
		j := i
		var dp, dn float64
		for j < len(pts) && pts[j].s == pts[i].s {
			if pts[j].l == 1 {
				dp++
			} else {
				dn++
			}
			j++
		}
		auc += dn / N * (2*tp + dp) / P / 2
		tp += dp
		fp += dn
		ap += dp / P * tp / (tp + fp)
		if fpr95 < 0 && tp/P >= 0.95 {
			fpr95 = fp / N
		}
		i = j
	}
	return Binary{AP: ap, AUROC: auc, FPR95: fpr95, Pixels: int64(P + N), Positives: int64(P)}
}

func randomCase(r *rand.Rand, n int) ([]float32, []uint8) {
	s := make([]float32, n)
	l := make([]uint8, n)
	levels := 1 + r.IntN(1000)
	for i := range s {
		switch r.IntN(4) {
		case 0:
			s[i] = float32(r.IntN(levels)) / float32(levels) // ties
		case 1:
			s[i] = float32(r.NormFloat64() * math.Exp(r.NormFloat64()*5))
		default:
			s[i] = float32(r.NormFloat64())
		}
		l[i] = uint8(r.IntN(2))
		if r.IntN(20) == 0 {
			l[i] = 255
		}
		if l[i] == 1 {
			s[i] += 0.5
		}
	}
	return s, l
}

func TestExactVersusNaive(t *testing.T) { withEngines(t, testExactVersusNaive) }

func testExactVersusNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 3, 7, 16, 17, 100, 1000, 70000, 300000} {
		s, l := randomCase(r, n)
		l[0], l[1] = 0, 1
		want := naiveBinary(s, l)
		got, err := Exact(s, l, 255)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.AP, want.AP, 1e-9) || !near(got.AUROC, want.AUROC, 1e-9) || got.FPR95 != want.FPR95 {
			t.Errorf("n=%d: got %+v, want %+v", n, got, want)
		}
	}
}

// Metrics depend only on the order of the scores.
func TestExactMonotoneInvariance(t *testing.T) { withEngines(t, testExactMonotoneInvariance) }

func testExactMonotoneInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s, l := randomCase(r, 20000)
	l[0], l[1] = 0, 1
	base, err := Exact(s, l, 255)
	if err != nil {
		t.Fatal(err)
	}
	// rank maps each distinct score to its rank among the distinct scores,
	// spread by random positive gaps: strictly monotone by construction.
	distinct := append([]float32(nil), s...)
	sortSlice(distinct, func(a, b float32) bool { return a < b })
	rank := map[float32]float32{}
	var next float32
	for _, v := range distinct {
		if _, ok := rank[v]; !ok {
			next += 1 + float32(r.IntN(3))
			rank[v] = next
		}
	}
	transforms := map[string]func(float32) float32{
		"rank":    func(v float32) float32 { return rank[v+0] },
		"negexp":  func(v float32) float32 { return -float32(math.Exp(-float64(v) / 4)) },
		"sigmoid": func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)/1e3))) },
		"cube":    func(v float32) float32 { return v * v * v },
	}
	for name, f := range transforms {
		// The analytic transforms may merge close scores in float32; use
		// them only where they stay strictly monotone on this data.
		ts := make([]float32, len(s))
		for i, v := range s {
			ts[i] = f(v)
		}
		if !orderPreserved(s, ts) {
			if name == "rank" {
				t.Fatal("rank transform is not monotone")
			}
			t.Logf("%s is not strictly monotone in float32 here; skipping it", name)
			continue
		}
		got, err := Exact(ts, l, 255)
		if err != nil {
			t.Fatal(err)
		}
		// Bucketing differs with the transform, so only the summation
		// order of AP may change.
		if !near(got.AP, base.AP, 1e-12) || got.AUROC != base.AUROC || got.FPR95 != base.FPR95 {
			t.Errorf("%s: %+v, want %+v", name, got, base)
		}
	}
}

func orderPreserved(a, b []float32) bool {
	idx := make([]int, len(a))
	for i := range idx {
		idx[i] = i
	}
	sortSlice(idx, func(i, j int) bool { return a[i] < a[j] })
	for k := 1; k < len(idx); k++ {
		i, j := idx[k-1], idx[k]
		if (a[i] < a[j]) != (b[i] < b[j]) || (a[i] == a[j]) != (b[i] == b[j]) {
			return false
		}
	}
	return true
}

func TestPerfectDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s, l := randomCase(r, 5000)
	l[0], l[1] = 0, 1
	for i := range s {
		if l[i] == 1 {
			s[i] = 10 + r.Float32()
		} else {
			s[i] = r.Float32()
		}
	}
	got, err := Exact(s, l, 255)
	if err != nil {
		t.Fatal(err)
	}
	if got.AP != 1 || got.AUROC != 1 || got.FPR95 != 0 {
		t.Fatalf("perfect detector: %+v", got)
	}
}

func FuzzExact(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, uint8(255))
	f.Add([]byte{0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}, uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, ignore uint8) {
		if len(data) > 5*4096 {
			return
		}
		n := len(data) / 5
		s := make([]float32, n)
		l := make([]uint8, n)
		for i := 0; i < n; i++ {
			b := data[5*i:]
			s[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			l[i] = b[4] % 3
			if l[i] == 2 {
				l[i] = ignore
			}
		}
		got, err := Exact(s, l, ignore)
		if err != nil {
			return // invalid input must fail politely, which it did
		}
		want := naiveBinary(s, l)
		if !near(got.AP, want.AP, 1e-9) || !near(got.AUROC, want.AUROC, 1e-9) || got.FPR95 != want.FPR95 {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		// The bucketed engine agrees with the sort path.
		e, err := newExact(s, l, ignore)
		if err != nil {
			t.Fatalf("bucketed engine: %v", err)
		}
		if b := e.metrics(); !near(b.AP, got.AP, 1e-12) || b.AUROC != got.AUROC || b.FPR95 != got.FPR95 || b.Threshold95 != got.Threshold95 {
			t.Fatalf("bucketed %+v, sort %+v", b, got)
		}
		if got.AP < 0 || got.AP > 1 || got.AUROC < 0 || got.AUROC > 1 {
			t.Fatalf("out of range: %+v", got)
		}
	})
}

func TestBestF1(t *testing.T) { withEngines(t, testBestF1) }

func testBestF1(t *testing.T) {
	// Thresholds 0.9 (tp1 fp0), 0.8 (tp1 fp1), 0.7 (tp2 fp1), 0.1 (tp2 fp2); P=2.
	_, c, err := ExactCurve([]float32{0.9, 0.8, 0.7, 0.1}, []uint8{1, 0, 1, 0}, 255)
	if err != nil {
		t.Fatal(err)
	}
	thr, f1 := c.BestF1()
	// F1: 2/3, 1/2, 4/5, 2/3.
	if thr != 0.7 || !near(f1, 0.8, 1e-15) {
		t.Fatalf("BestF1 = %v, %v", thr, f1)
	}
	prec, rec := c.Precision(), c.Recall()
	if !near(prec[2], 2.0/3, 1e-15) || rec[2] != 1 || c.FPR()[2] != 0.5 || c.TPR()[0] != 0.5 {
		t.Fatalf("precision %v recall %v", prec, rec)
	}
}
