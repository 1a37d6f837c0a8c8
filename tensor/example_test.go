package tensor_test

import (
	"fmt"

	"github.com/nflowjs/nflowjs/tensor"
)

func ExampleConv2d() {
	// A 3×3 box filter over a 1-channel 4×4 ramp, padding 1 (zeros outside).
	x := tensor.New(1, 1, 4, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	w := tensor.Full(1, 1, 1, 3, 3)
	y := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Pad: 1})
	fmt.Println(y.Shape)
	fmt.Println(y.Data[:4])

	// The gradients for an all-ones output gradient: each weight sees the
	// sum of the input pixels it touched.
	_, gw, gb := tensor.Conv2dBackward(x, w, tensor.Full(1, y.Shape...), tensor.ConvOpts{Pad: 1}, false)
	fmt.Println(gw.Data[4], gb.Data)
	// Output:
	// [1 1 4 4]
	// [10 18 24 18]
	// 120 [16]
}

func ExampleSoftmaxChannels() {
	// Two classes at two pixels: equal logits, and a margin of ln 3.
	x := tensor.FromData([]float32{0, 1.0986123, 0, 0}, 1, 2, 1, 2)
	y := tensor.SoftmaxChannels(x)
	fmt.Printf("%.3f\n", y.Data)
	// Output: [0.500 0.750 0.500 0.250]
}

func ExampleSqueeze2d() {
	x := tensor.FromData([]float32{
		1, 2,
		3, 4,
	}, 1, 1, 2, 2)
	y := tensor.Squeeze2d(x, 2)
	fmt.Println(y.Shape, y.Data)
	fmt.Println(tensor.Unsqueeze2d(y, 2).Data)
	// Output:
	// [1 4 1 1] [1 2 3 4]
	// [1 2 3 4]
}

func ExampleResizeBilinear() {
	x := tensor.FromData([]float32{0, 4}, 1, 1, 1, 2)
	// align_corners=False: output pixel centres sit at input coordinates
	// −0.25, 0.25, 0.75, 1.25, clamped to the edge pixels.
	fmt.Println(tensor.ResizeBilinear(x, 1, 4).Data)
	// Output: [0 1 3 4]
}
