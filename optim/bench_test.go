package optim

import (
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// benchParams returns segnet-ref-sized parameters (114,602 values) with
// gradients.
func benchParams() []*autograd.Var {
	shapes := [][]int{{32, 3, 3, 3}, {32}, {64, 32, 3, 3}, {64}, {64, 64, 3, 3}, {64}, {64, 64, 3, 3}, {64},
		{32, 64, 3, 3}, {32}, {10, 32, 3, 3}, {10}}
	ps := make([]*autograd.Var, len(shapes))
	for i, s := range shapes {
		ps[i] = autograd.Param(tensor.Full(0.5, s...), "")
		ps[i].Grad = tensor.Full(0.01, s...)
	}
	return ps
}

func BenchmarkStep(b *testing.B) {
	cases := map[string]func([]ParamGroup) (Optimizer, error){
		"adam":   func(g []ParamGroup) (Optimizer, error) { return NewAdam(g, DefaultAdamConfig()) },
		"adamax": func(g []ParamGroup) (Optimizer, error) { return NewAdamax(g, DefaultAdamConfig()) },
		"sgd-momentum": func(g []ParamGroup) (Optimizer, error) {
			return NewSGD(g, SGDConfig{Momentum: 0.9})
		},
	}
	for name, build := range cases {
		b.Run(name, func(b *testing.B) {
			ps := benchParams()
			opt, err := build([]ParamGroup{Group(1e-3, ps...)})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(4 * 114602)
			for b.Loop() {
				opt.Step()
			}
		})
	}
}
