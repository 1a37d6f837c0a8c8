package evaluate_test

import (
	"fmt"
	"os"

	"github.com/nflowjs/nflowjs/evaluate"
)

func ExampleParseScore() {
	for _, name := range []string{"js", "nflowjs", "msp@10", "react@0.99", "mcdropout@16"} {
		sp, err := evaluate.ParseScore(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-13s -> %s\n", name, sp)
	}
	_, err := evaluate.ParseScore("softmax")
	fmt.Println(err != nil)
	// Output:
	// js            -> js
	// nflowjs       -> js
	// msp@10        -> msp@10
	// react@0.99    -> react@0.99
	// mcdropout@16  -> mcdropout@16
	// true
}

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
