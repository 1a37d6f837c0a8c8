package evaluate_test

import (
	"os"

	"github.com/nflowjs/nflowjs/evaluate"
)

// A report prints as the table of `nflowjs eval` (Rows gives its --json form).
func ExampleReport_WriteTable() {
	open, thr := 0.41, float32(-0.052)
	rep := &evaluate.Report{Dataset: "synth-road", Split: "test", Protocol: "pooled", Engine: "exact",
		Images: 100, Pixels: 3276800, Anomalies: 41000, MIoU: 0.62, CalibSplit: "val", TPR: 0.95,
		Scores: []evaluate.ScoreResult{
			{Score: "js", Detail: "nflowjs(T=2)", AP: 0.31, FPR95: 0.42, AUROC: 0.91, OpenMIoU: &open, Threshold: &thr},
		}}
	_ = rep.WriteTable(os.Stdout)
	// Output:
	// synth-road test: 100 images, 3276800 pixels, 41000 anomaly pixels (pooled protocol, exact metrics)
	// closed-set mIoU 62.00%
	// open-mIoU thresholds calibrated on val at TPR 0.95
	//
	//   score     AP  FPR95  AUROC  open-mIoU  ms/img        detail
	//      js  31.00  42.00  91.00      41.00     0.0  nflowjs(T=2)
}
