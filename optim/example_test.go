package optim_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// Minimise f(x) = x² with Adam; the gradient 2x is set by hand here, where a
// model would call loss.Backward().
func ExampleAdam() {
	x := autograd.Param(tensor.FromData([]float32{3}, 1), "x")
	opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(0.1, x)}, optim.DefaultAdamConfig())
	if err != nil {
		panic(err)
	}
	for i := 0; i < 200; i++ {
		opt.ZeroGrad()
		x.Grad = tensor.FromData([]float32{2 * x.Value.Data[0]}, 1)
		opt.Step()
	}
	fmt.Printf("|x| < 0.01: %v\n", x.Value.Data[0]*x.Value.Data[0] < 1e-4)
	// Output: |x| < 0.01: true
}

// The NFlowJS recipe: encoder at 1e-4, decoder at 4e-4, cosine annealing
// towards 1e-7 at epoch 50.
func ExampleCosine() {
	enc := autograd.Param(tensor.New(1), "encoder.weight")
	dec := autograd.Param(tensor.New(1), "decoder.weight")
	opt, _ := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-4, enc), optim.Group(4e-4, dec)}, optim.DefaultAdamConfig())
	sched := optim.Cosine{TMax: 50, MinLR: 1e-7}
	for _, epoch := range []int{0, 25, 50} {
		optim.SetLR(opt, sched, epoch)
		g := opt.Groups()
		fmt.Printf("epoch %2d: encoder %.3g decoder %.3g\n", epoch, g[0].LR, g[1].LR)
	}
	// Output:
	// epoch  0: encoder 0.0001 decoder 0.0004
	// epoch 25: encoder 5.01e-05 decoder 0.0002
	// epoch 50: encoder 1e-07 decoder 1e-07
}

// Resuming: the optimizer state goes into a safetensors checkpoint (moment
// tensors as tensors, step counters as metadata) and back.
func ExampleState() {
	w := autograd.Param(tensor.FromData([]float32{1, 2}, 2), "head.weight")
	opt, _ := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-3, w)}, optim.DefaultAdamConfig())
	w.Grad = tensor.FromData([]float32{0.5, -0.5}, 2)
	opt.Step()

	dir, _ := os.MkdirTemp("", "optim")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "optim.safetensors")
	st := opt.State()
	if err := checkpoint.Save(path, st.Tensors, st.StepsMeta()); err != nil {
		fmt.Println(err)
		return
	}

	tensors, meta, err := checkpoint.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	steps, err := optim.ParseStepsMeta(meta)
	if err != nil {
		fmt.Println(err)
		return
	}
	resumed, _ := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-3, w)}, optim.DefaultAdamConfig())
	fmt.Println(resumed.LoadState(optim.State{Tensors: tensors, Steps: steps}), steps["head.weight"])
	for _, k := range []string{"head.weight.exp_avg", "head.weight.exp_avg_sq"} {
		fmt.Println(k, tensors[k].Data)
	}
	// Output:
	// <nil> 1
	// head.weight.exp_avg [0.05 -0.05]
	// head.weight.exp_avg_sq [0.00025 0.00025]
}
