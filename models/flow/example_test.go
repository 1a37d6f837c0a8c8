package flow_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/tensor"
)

// A flow is trained by maximising LogProb of dequantised 8-bit crops and
// sampled at any size divisible by its squeeze factor.
func Example() {
	cfg, _ := flow.Preset("denseflow-tiny")
	f, err := flow.New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))

	// Two 8-bit 16×16 RGB crops (here a constant grey).
	crops := tensor.Full(128, 2, 3, 16, 16)
	logp, err := f.LogProb(autograd.Const(flow.Dequantize(crops, rng)), rng)
	if err != nil {
		panic(err)
	}
	loss := flow.BitsPerDim(logp, 3*16*16) // minimise this with Adamax
	loss.Backward()
	fmt.Println("log p per image:", logp.Shape())

	// Samples at a size never seen in training; the result is an autograd
	// graph reaching the flow's parameters.
	x, err := f.Sample(4, 24, 40, 0.8, rng)
	if err != nil {
		panic(err)
	}
	fmt.Println("samples:", x.Shape(), "squeeze factor:", cfg.SqueezeFactor())

	_, err = f.Sample(1, 20, 20, 0.8, rng)
	fmt.Println(err)
	// Output:
	// log p per image: [2]
	// samples: [4 3 24 40] squeeze factor: 8
	// flow: bad shape: sample size 20x20 (n=1) must be positive and divisible by the squeeze factor 8
}
