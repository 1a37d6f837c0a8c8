package metrics

import (
	"encoding/json"
	"testing"
)

func TestComponentsMatchReference(t *testing.T) {
	var want struct {
		Shape       []int     `json:"shape"`
		MinPred     int       `json:"min_pred"`
		MinGT       int       `json:"min_gt"`
		Threshold   float32   `json:"threshold"`
		SIoU        []float64 `json:"siou"`
		PPV         []float64 `json:"ppv"`
		SIoUPred    []float64 `json:"siou_pred"`
		F1PPV       []float64 `json:"f1_ppv"`
		MeanF1PPV   float64   `json:"mean_f1_ppv"`
		F1SIoUPred  []float64 `json:"f1_siou_pred"`
		MeanF1SPred float64   `json:"mean_f1_siou_pred"`
		Thresholds  []float64 `json:"thresholds"`
	}
	if err := json.Unmarshal(readExpected(t)["components"], &want); err != nil {
		t.Fatal(err)
	}
	s := readNPY[float32](t, "comp_scores.npy")
	l := readNPY[uint8](t, "comp_labels.npy")
	n, h, w := want.Shape[0], want.Shape[1], want.Shape[2]
	c := &Components{Config: ComponentConfig{MinPredSize: want.MinPred, MinGTSize: want.MinGT}}
	for i := 0; i < n; i++ {
		if err := c.Add(s[i*h*w:(i+1)*h*w], l[i*h*w:(i+1)*h*w], h, w, 255, want.Threshold); err != nil {
			t.Fatal(err)
		}
	}
	eq := func(name string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, reference %d", name, len(got), len(want))
		}
		for i := range got {
			if !near(got[i], want[i], 1e-12) {
				t.Fatalf("%s[%d] = %v, reference %v", name, i, got[i], want[i])
			}
		}
	}
	eq("sIoU", c.SIoU, want.SIoU)
	eq("PPV", c.PPV, want.PPV)
	eq("sIoU_pred", c.SIoUP, want.SIoUPred)
	r := c.Result()
	eq("thresholds", r.Thresholds, want.Thresholds)
	eq("F1 (PPV)", r.F1, want.F1PPV)
	if !near(r.MeanF1, want.MeanF1PPV, 1e-12) {
		t.Fatalf("mean F1 %v, reference %v", r.MeanF1, want.MeanF1PPV)
	}
	c.Config.SIoUPred = true
	r = c.Result()
	eq("F1 (sIoU_pred)", r.F1, want.F1SIoUPred)
	if !near(r.MeanF1, want.MeanF1SPred, 1e-12) {
		t.Fatalf("mean F1 %v, reference %v", r.MeanF1, want.MeanF1SPred)
	}
}

func TestComponentsHand(t *testing.T) {
	// One GT component of 4 pixels; the prediction covers 2 of them plus 2
	// background pixels (one 2x2 block): sIoU = 2/6, PPV = 2/4.
	const h, w = 2, 4
	labels := []uint8{1, 1, 0, 0, 1, 1, 0, 0}
	scores := []float32{0, 1, 1, 0, 0, 1, 1, 0}
	c := &Components{}
	if err := c.Add(scores, labels, h, w, 255, 0.5); err != nil {
		t.Fatal(err)
	}
	if len(c.SIoU) != 1 || !near(c.SIoU[0], 2.0/6, 1e-15) {
		t.Fatalf("sIoU %v", c.SIoU)
	}
	if len(c.PPV) != 1 || !near(c.PPV[0], 0.5, 1e-15) {
		t.Fatalf("PPV %v", c.PPV)
	}
	r := c.Result()
	// sIoU 1/3 passes 0.25 and 0.30; PPV 1/2 is a false positive from 0.55 up.
	if r.TP[0] != 1 || r.TP[2] != 0 || r.FP[5] != 0 || r.FP[6] != 1 {
		t.Fatalf("TP %v FP %v", r.TP, r.FP)
	}
	if err := c.Add(scores, labels, 3, 3, 255, 0.5); err == nil {
		t.Error("wrong image size accepted")
	}
}

// Hand-computed cases from a reading of the official segment_metrics and
// default_instancer (road-anomaly-benchmark@1c7804e).
func TestComponentsHandOfficialRules(t *testing.T) {
	// One predicted component {1,2,3} touches two ground-truth components
	// A = {0,1} and B = {3,4}. For A: intersection 1; the official
	// adjusted union |pred∈S| + |A| − intersection − adjustment, with the
	// adjustment the prediction's pixels on other components (pixel 3, on
	// B), is 3 + 2 − 1 − 1 = 3: sIoU 1/3, and the same for B. PPV of the
	// prediction: 2 of its 3 pixels are anomalies.
	c := &Components{}
	if err := c.Add([]float32{0, 1, 1, 1, 0, 0, 0}, []uint8{1, 1, 0, 1, 1, 0, 0}, 1, 7, 255, 0.5); err != nil {
		t.Fatal(err)
	}
	if len(c.SIoU) != 2 || !near(c.SIoU[0], 1.0/3, 1e-15) || !near(c.SIoU[1], 1.0/3, 1e-15) {
		t.Fatalf("sIoU %v, want [1/3 1/3]", c.SIoU)
	}
	if len(c.PPV) != 1 || !near(c.PPV[0], 2.0/3, 1e-15) {
		t.Fatalf("PPV %v, want [2/3]", c.PPV)
	}
	// The order of the size filters: the predicted component {0,1,2} has
	// 3 pixels and survives MinPredSize 3 although pixel 0 then turns void
	// (it lies on a ground-truth component smaller than MinGTSize 2); its
	// PPV is computed on the remaining 2 pixels, none an anomaly. The
	// ground-truth component {4,5} is missed: sIoU 0.
	c = &Components{Config: ComponentConfig{MinPredSize: 3, MinGTSize: 2}}
	if err := c.Add([]float32{1, 1, 1, 0, 0, 0}, []uint8{1, 0, 0, 0, 1, 1}, 1, 6, 255, 0.5); err != nil {
		t.Fatal(err)
	}
	if len(c.PPV) != 1 || c.PPV[0] != 0 || len(c.SIoU) != 1 || c.SIoU[0] != 0 {
		t.Fatalf("PPV %v sIoU %v, want [0] [0]", c.PPV, c.SIoU)
	}
	r := c.Result()
	if r.TP[0] != 0 || r.FN[0] != 1 || r.FP[0] != 1 || r.F1[0] != 0 {
		t.Fatalf("TP %v FN %v FP %v F1 %v", r.TP, r.FN, r.FP, r.F1)
	}
}
