package autograd_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// Build y = Σ (w·x)² from ops and back-propagate: ∂y/∂w = 2·w·x².
func Example() {
	w := autograd.Param(tensor.FromData([]float32{1, -2}, 2), "w")
	x := autograd.Const(tensor.FromData([]float32{3, 0.5}, 2))
	y := autograd.Sum(autograd.Square(autograd.Mul(w, x)))
	y.Backward()
	fmt.Println("y =", y.Value.Data[0])
	fmt.Println("dy/dw =", w.Grad.Data)
	fmt.Println("x has a gradient:", x.Grad != nil)
	// Output:
	// y = 10
	// dy/dw = [18 -1]
	// x has a gradient: false
}

// An image Input can receive a gradient too (input perturbation, ODIN).
func ExampleVar_Backward() {
	img := autograd.Input(tensor.FromData([]float32{0.5, -1, 2, 0}, 1, 1, 2, 2), true)
	w := autograd.Param(tensor.Full(1, 2, 1, 1, 1), "conv.weight") // two 1×1 filters
	logits := autograd.Conv2d(img, w, nil, tensor.ConvOpts{})
	loss := autograd.CrossEntropy(logits, []int32{0, 1, 0, 255}, 255)
	loss.Backward()
	fmt.Printf("loss %.4f\n", loss.Value.Data[0])
	fmt.Println("input gradient shape", img.Grad.Shape)
	// Output:
	// loss 0.6931
	// input gradient shape [1 1 2 2]
}

// GradCheck compares Backward against central finite differences.
func ExampleGradCheck() {
	f := func(in []*autograd.Var) *autograd.Var {
		return autograd.Tanh(autograd.Mul(in[0], in[1]))
	}
	a := tensor.FromData([]float32{0.3, -0.7, 1.1}, 3)
	b := tensor.FromData([]float32{0.5, 0.2, -0.4}, 3)
	fmt.Println(autograd.GradCheck(f, []*tensor.Tensor{a, b}, 1e-2, 1e-3))

	// A deliberately wrong VJP (twice the true derivative) is caught.
	wrong := func(in []*autograd.Var) *autograd.Var {
		x := in[0]
		return autograd.NewOp(tensor.Scale(x.Value, 3), func(g *tensor.Tensor) {
			x.AccumGrad(tensor.Scale(g, 6))
		}, x)
	}
	fmt.Println(autograd.GradCheck(wrong, []*tensor.Tensor{a}, 1e-2, 1e-3) != nil)
	// Output:
	// <nil>
	// true
}

// NoGrad runs inference through trainable parameters without recording a
// graph.
func ExampleNoGrad() {
	w := autograd.Param(tensor.Full(2, 4), "w")
	restore := autograd.NoGrad()
	y := autograd.Relu(autograd.Scale(w, 3))
	restore()
	fmt.Println(y.Value.Data, y.RequiresGrad())
	// Output:
	// [6 6 6 6] false
}
