package ood_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/ood"
	"github.com/nflowjs/nflowjs/tensor"
)

// Two pixels, three classes: a confident inlier and a flat (anomalous) one.
func ExampleJSDivergence() {
	logits := tensor.FromData([]float32{
		9, 0, // class 0
		0, 0, // class 1
		0, 0.1, // class 2
	}, 1, 3, 1, 2)
	js, _ := ood.JSDivergence(logits, ood.DefaultT)
	score, _ := ood.JSAnomaly(logits, ood.DefaultT)
	fmt.Printf("JS(U, p):      %.4f %.4f\n", js.Data[0], js.Data[1])
	fmt.Printf("anomaly score: %.4f %.4f\n", score.Data[0], score.Data[1])
	// Output:
	// JS(U, p):      0.2732 0.0001
	// anomaly score: -0.2732 -0.0001
}

func ExampleFuse() {
	logits := tensor.FromData([]float32{
		3, 0, 0, // class 0
		0, 3, 0, // class 1
	}, 1, 2, 1, 3)
	js, _ := ood.ParseScore("js") // NFlowJS at its default T = 2
	scorer, _ := js.Scorer()
	scores, _ := scorer.Score(logits)
	labels, _ := ood.Fuse(logits, scores, -0.01) // anomaly label is 2
	fmt.Println(labels)
	// Output:
	// [0 1 2]
}

func ExampleParseScore() {
	for _, name := range []string{"js", "nflowjs", "js@0.5", "msp@10", "react@0.99", "maxlogit"} {
		sp, err := ood.ParseScore(name)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-10s -> %-10s T=%g\n", name, sp, sp.Temperature())
	}
	_, err := ood.ParseScore("softmax")
	fmt.Println(err != nil)
	// Output:
	// js         -> js         T=2
	// nflowjs    -> js         T=2
	// js@0.5     -> js@0.5     T=0.5
	// msp@10     -> msp@10     T=10
	// react@0.99 -> react@0.99 T=0
	// maxlogit   -> maxlogit   T=0
	// true
}
