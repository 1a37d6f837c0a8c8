package toy_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/experiment/toy"
)

// Run trains the max-softmax baseline and NFlowJS on the 2-D toy and
// evaluates both on far-away outliers; Figure2 draws their score fields.
func ExampleRun() {
	cfg := toy.DefaultConfig()
	cfg.PretrainSteps, cfg.JointSteps = 600, 600
	r, err := toy.Run(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("AUROC max-softmax %.2f, NFlowJS %.2f\n", r.MSP.AUROC, r.NFlowJS.AUROC)
	if err := toy.Figure2(r, "figure2.png"); err != nil {
		fmt.Println(err)
	}
}
