package metrics_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/metrics"
)

func ExampleExact() {
	scores := []float32{0.1, 0.4, 0.35, 0.8, 0.9}
	labels := []uint8{0, 0, 1, 1, 255} // the last pixel is void
	r, err := metrics.Exact(scores, labels, metrics.DefaultIgnore)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AP %.4f  AUROC %.4f  FPR95 %.2f  pixels %d  positives %d\n",
		r.AP, r.AUROC, r.FPR95, r.Pixels, r.Positives)
	// Output:
	// AP 0.8333  AUROC 0.7500  FPR95 0.50  pixels 4  positives 2
}

// Histograms accumulate image by image in constant memory and report how
// far their metrics can be from the exact ones.
func ExampleHistogram() {
	h, _ := metrics.NewLinearHistogram(0, 1, 1000)
	_ = h.Add([]float32{0.1, 0.4}, []uint8{0, 0}, 255)
	_ = h.Add([]float32{0.35, 0.8}, []uint8{1, 1}, 255)
	r, bound, _ := h.Result()
	fmt.Printf("AP %.4f (±%.4f)  AUROC %.4f (±%.4f)\n", r.AP, bound.AP, r.AUROC, bound.AUROC)
	// Output:
	// AP 0.8333 (±0.0000)  AUROC 0.7500 (±0.0000)
}

func ExampleConfusion_OpenMIoU() {
	// Two inlier classes (0, 1) and the anomaly class 2.
	gt := []uint8{0, 0, 1, 1, 2, 2}
	pred := []uint8{0, 2, 1, 1, 2, 0}
	c := metrics.NewConfusion(3)
	_ = c.Add(gt, pred, 255)
	open, _ := c.OpenMIoU(2)
	fmt.Printf("mIoU %.4f  open-mIoU %.4f\n", c.MIoU(), open)
	// Output:
	// mIoU 0.5556  open-mIoU 0.6667
}
