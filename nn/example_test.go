package nn_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// A conv-BN-ReLU block with PyTorch state-dict names, saved and restored
// through a safetensors checkpoint.
func Example() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.NewSequential(
		nn.NewConv2d(rng, 3, 8, 3, 1, 1, 1, false), // Conv2d(3, 8, 3, stride=1, padding=1, bias=False)
		nn.NewBatchNorm2d(8),
		nn.ReLU{},
	)
	for _, p := range nn.NamedParameters(model) {
		fmt.Println(p.Name, p.Var.Value.Shape)
	}
	y := model.Forward(autograd.Const(tensor.New(2, 3, 16, 16)))
	fmt.Println("output", y.Value.Shape)

	dir, _ := os.MkdirTemp("", "nn")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")
	if err := checkpoint.Save(path, nn.StateDict(model), nil); err != nil {
		fmt.Println(err)
		return
	}
	restored := nn.NewSequential(nn.NewConv2d(rng, 3, 8, 3, 1, 1, 1, false), nn.NewBatchNorm2d(8), nn.ReLU{})
	_, err := checkpoint.LoadInto(path, nn.StateDict(restored))
	fmt.Println("restored:", err == nil)
	// Output:
	// 0.weight [8 3 3 3]
	// 1.weight [8]
	// 1.bias [8]
	// output [2 8 16 16]
	// restored: true
}
