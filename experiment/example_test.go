package experiment_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/experiment"
)

// A plan is a set of nflowjs command lines that name their own output
// directory ({out}) and their inputs ({dep:NAME}); the cache key of a step
// covers its command line and its inputs' keys.
func ExamplePlan() {
	p := &experiment.Plan{Name: "mini"}
	p.Add(
		&experiment.Step{Name: "data", Args: []string{"data", "gen", "road", "--out", "{out}", "--train", "8"}},
		&experiment.Step{Name: "closed", Args: []string{"train", "closed", "--data", "{dep:data}", "--out", "{out}"},
			Resume: experiment.Resume{Flag: "--resume", Marker: "state.safetensors"}},
	)
	order, _ := p.Order()
	keys, _ := p.Keys()
	for _, s := range order {
		fmt.Println(s.Name, s.Deps(), len(keys[s.Name]))
	}
	// Output:
	// data [] 64
	// closed [data] 64
}

// ParseEval reads `nflowjs eval --json`.
func ExampleParseEval() {
	rows, err := experiment.ParseEval([]byte(`[{"score":"js","ap":0.31,"fpr95":0.2,"auroc":0.93,"miou":0.7,"open_miou":0.55}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s AP %.2f FPR95 %.2f open-mIoU %.2f\n", rows[0].Score, rows[0].AP, rows[0].FPR95, *rows[0].OpenMIoU)
	// Output: js AP 0.31 FPR95 0.20 open-mIoU 0.55
}
