package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/tensor"
)

func Example() {
	dir, _ := os.MkdirTemp("", "ckpt")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	weights := map[string]*tensor.Tensor{
		"head.weight": tensor.Full(0.5, 10, 32, 3, 3),
		"head.bias":   tensor.New(10),
	}
	if err := checkpoint.Save(path, weights, map[string]string{"epoch": "12"}); err != nil {
		fmt.Println(err)
		return
	}

	// Load into a model's state dict: names and shapes must match exactly.
	model := map[string]*tensor.Tensor{
		"head.weight": tensor.New(10, 32, 3, 3),
		"head.bias":   tensor.New(10),
	}
	meta, err := checkpoint.LoadInto(path, model)
	fmt.Println(meta["epoch"], model["head.weight"].Data[0], err)

	// A model that does not fit gets one error naming the tensor.
	model["head.bias"] = tensor.New(19)
	_, err = checkpoint.LoadInto(path, model)
	fmt.Println(err != nil)
	// Output:
	// 12 0.5 <nil>
	// true
}
