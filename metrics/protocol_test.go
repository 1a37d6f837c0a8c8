package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestEvaluateProtocols(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const img, n = 5000, 6
	s, l := randomCase(r, img*n)
	// Image 2 has no anomalies: per-image skips it.
	for i := 2 * img; i < 3*img; i++ {
		if l[i] == 1 {
			l[i] = 0
		}
	}
	for _, eng := range []Engine{EngineExact, EngineStreaming} {
		pooled, err := Evaluate(s, l, img, Options{Ignore: 255, Engine: eng})
		if err != nil {
			t.Fatal(err)
		}
		ex, _ := Exact(s, l, 255)
		if eng == EngineExact && pooled.Binary != ex {
			t.Fatalf("pooled %+v, exact %+v", pooled.Binary, ex)
		}
		if eng == EngineStreaming {
			checkWithinBound(t, "pooled", ex, pooled.Binary, *pooled.Bounds)
		}
		per, err := Evaluate(s, l, img, Options{Ignore: 255, Protocol: PerImage, Engine: eng})
		if err != nil {
			t.Fatal(err)
		}
		if per.Images != n-1 || per.Skipped != 1 || per.Pixels != ex.Pixels || per.Positives != ex.Positives {
			t.Fatalf("per-image bookkeeping %+v", per)
		}
		var ap, auc, fpr float64
		for i := 0; i < n; i++ {
			if i == 2 {
				continue
			}
			b, err := Exact(s[i*img:(i+1)*img], l[i*img:(i+1)*img], 255)
			if err != nil {
				t.Fatal(err)
			}
			ap += b.AP / (n - 1)
			auc += b.AUROC / (n - 1)
			fpr += b.FPR95 / (n - 1)
		}
		tol := Bounds{1e-12, 1e-12, 1e-12}
		if per.Bounds != nil {
			tol = *per.Bounds
		}
		if math.Abs(per.AP-ap) > tol.AP+1e-12 || math.Abs(per.AUROC-auc) > tol.AUROC+1e-12 || math.Abs(per.FPR95-fpr) > tol.FPR95+1e-12 {
			t.Fatalf("engine %d per-image %+v, want ap=%v auroc=%v fpr95=%v", eng, per, ap, auc, fpr)
		}
	}
	if _, err := Evaluate(s, l, 7, Options{}); !errors.Is(err, ErrShape) {
		t.Errorf("partial images: %v", err)
	}
}

func TestFPR95ByDepth(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	s, l := randomCase(r, 20000)
	depth := make([]float32, len(s))
	for i := range depth {
		depth[i] = float32(r.Float64() * 60)
	}
	depth[0] = float32(math.NaN())
	edges := []float32{5, 10, 20, 50}
	bins, err := FPR95ByDepth(s, l, depth, 255, edges)
	if err != nil {
		t.Fatal(err)
	}
	for b, bin := range bins {
		// Reference: select the bin's pixels explicitly.
		var bs []float32
		var bl []uint8
		for i := range s {
			if depth[i] >= edges[b] && depth[i] < edges[b+1] {
				bs = append(bs, s[i])
				bl = append(bl, l[i])
			}
		}
		want, err := Exact(bs, bl, 255)
		if err != nil {
			t.Fatal(err)
		}
		if bin.FPR95 != want.FPR95 || bin.Pixels != want.Pixels || bin.Err != nil {
			t.Fatalf("bin %d: %+v, want %+v", b, bin, want)
		}
	}
	// A range with no pixels reports its emptiness instead of failing.
	bins, err = FPR95ByDepth(s, l, depth, 255, []float32{100, 200})
	if err != nil || bins[0].Err == nil || !math.IsNaN(bins[0].FPR95) {
		t.Fatalf("empty bin: %+v, %v", bins, err)
	}
	if _, err := FPR95ByDepth(s, l, depth, 255, []float32{5, 5}); err == nil {
		t.Error("non-increasing edges accepted")
	}
}
