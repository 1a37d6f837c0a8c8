package metrics

import (
	"encoding/json"
	"testing"
)

func TestConfusionMatchesSklearn(t *testing.T) {
	var want struct {
		Classes     int       `json:"classes"`
		Confusion   [][]int64 `json:"confusion"`
		IoU         []float64 `json:"iou"`
		MIoU        float64   `json:"miou"`
		MIoUInliers float64   `json:"miou_inliers"`
		OpenIoU     []float64 `json:"open_iou"`
		OpenMIoU    float64   `json:"open_miou"`
	}
	if err := json.Unmarshal(readExpected(t)["segmentation"], &want); err != nil {
		t.Fatal(err)
	}
	gt := readNPY[uint8](t, "seg_gt.npy")
	pred := readNPY[uint8](t, "seg_pred.npy")
	c := NewConfusion(want.Classes)
	// Two halves merged: accumulation is additive.
	h := len(gt) / 2
	if err := c.Add(gt[:h], pred[:h], 255); err != nil {
		t.Fatal(err)
	}
	d := NewConfusion(want.Classes)
	if err := d.Add(gt[h:], pred[h:], 255); err != nil {
		t.Fatal(err)
	}
	if err := c.Merge(d); err != nil {
		t.Fatal(err)
	}
	for g := range want.Confusion {
		for p, v := range want.Confusion[g] {
			if c.M[g*c.K+p] != v {
				t.Fatalf("confusion[%d][%d] = %d, sklearn %d", g, p, c.M[g*c.K+p], v)
			}
		}
	}
	iou := c.IoU()
	for i := range iou {
		if !near(iou[i], want.IoU[i], 1e-12) {
			t.Fatalf("IoU[%d] = %v, sklearn %v", i, iou[i], want.IoU[i])
		}
	}
	if !near(c.MIoU(), want.MIoU, 1e-12) {
		t.Fatalf("mIoU %v, want %v", c.MIoU(), want.MIoU)
	}
	open, err := c.OpenIoU(want.Classes - 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range open {
		if !near(open[i], want.OpenIoU[i], 1e-12) {
			t.Fatalf("open IoU[%d] = %v, want %v", i, open[i], want.OpenIoU[i])
		}
	}
	if m, _ := c.OpenMIoU(want.Classes - 1); !near(m, want.OpenMIoU, 1e-12) {
		t.Fatalf("open-mIoU %v, want %v", m, want.OpenMIoU)
	}
}

// With perfect anomaly detection open-mIoU equals the closed-set mIoU over
// inlier classes (paper section 4.2).
func TestOpenMIoUPerfectDetection(t *testing.T) {
	gt := []uint8{0, 0, 1, 1, 2, 2, 0, 1}
	pred := []uint8{0, 1, 1, 1, 2, 2, 0, 0} // class 2 = anomaly, detected exactly
	c := NewConfusion(3)
	if err := c.Add(gt, pred, 255); err != nil {
		t.Fatal(err)
	}
	open, _ := c.OpenMIoU(2)
	iou := c.IoU()
	if !near(open, (iou[0]+iou[1])/2, 1e-15) {
		t.Fatalf("open-mIoU %v, inlier mIoU %v", open, (iou[0]+iou[1])/2)
	}
	// Hand count: class 0: TP 2, FN 1 (0->1), FP 1 (1->0): 2/4.
	if !near(iou[0], 0.5, 1e-15) {
		t.Fatalf("IoU[0] = %v", iou[0])
	}
	if err := c.Add([]uint8{3}, []uint8{0}, 255); err == nil {
		t.Error("label 3 accepted with 3 classes")
	}
	if _, err := c.OpenIoU(3); err == nil {
		t.Error("anomaly class 3 accepted")
	}
}
