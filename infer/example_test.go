package infer_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/infer"
	"github.com/nflowjs/nflowjs/infer/infertest"
	"github.com/nflowjs/nflowjs/models/seg"
)

// A 40×20 scene of red, green and blue bands with a gray 4×4 square: the
// stand-in model is unsure only on gray, so the square is the one anomaly.
func ExamplePipeline_Predict() {
	threshold := float32(-0.05)
	p, err := infer.New(&infertest.ChannelModel{}, infer.Config{
		Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std,
		Score: "js", Threshold: &threshold,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := p.Predict(infertest.Scene(40, 20, 10, 6, 4))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := r.Summary
	fmt.Printf("score %s, anomalous fraction %.3f\n", s.Score, *s.AnomalousFraction)
	for _, c := range s.Components {
		fmt.Printf("component %d: %d pixels, box %v\n", c.ID, c.Pixels, c.BBox)
	}
	// Output:
	// score js(T=2), anomalous fraction 0.020
	// component 1: 16 pixels, box [10 6 13 9]
}

// ScoreResNative scores a seg.Model's 1/4-resolution logits and upsamples
// the score map; the segmentation stays at full resolution.
func ExampleConfig_scoreResolution() {
	cfg, _ := seg.PresetConfig("tiny", len(infertest.Classes))
	m, err := seg.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := infer.New(m, infer.Config{
		Classes: infertest.Classes, Mean: infertest.Mean, Std: infertest.Std,
		Score: "js", ScoreResolution: infer.ScoreResNative,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := p.Predict(infertest.Scene(50, 30, 10, 6, 4))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Summary.ScoreResolution, len(r.Scores), len(r.Labels))
	// Output:
	// native 1500 1500
}
