package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// DepthwiseConv2d is torch.nn.Conv2d(C, C, k, groups=C): one k×k filter
// per channel, weight [C,1,k,k] in PyTorch's layout.
type DepthwiseConv2d struct {
	Channels                          int
	Kernel, Stride, Padding, Dilation int
	Weight, Bias                      *autograd.Var // Bias nil without bias
}

// NewDepthwiseConv2d returns a DepthwiseConv2d initialised as torch does
// (stride and dilation 0 mean 1).
func NewDepthwiseConv2d(rng *rand.Rand, channels, kernel, stride, padding, dilation int, bias bool) *DepthwiseConv2d {
	if channels <= 0 || kernel <= 0 || stride < 0 || padding < 0 || dilation < 0 {
		panic(fmt.Sprintf("nn.NewDepthwiseConv2d: invalid sizes channels=%d kernel=%d stride=%d padding=%d dilation=%d", channels, kernel, stride, padding, dilation))
	}
	c := &DepthwiseConv2d{Channels: channels, Kernel: kernel, Stride: max(stride, 1), Padding: padding, Dilation: max(dilation, 1)}
	c.Weight, c.Bias = newWeightBias(rng, []int{channels, 1, kernel, kernel}, channels, bias)
	return c
}

// Members lists weight and bias.
func (c *DepthwiseConv2d) Members() Members {
	return Members{Params: []NamedVar{{"weight", c.Weight}, {"bias", c.Bias}}}
}

// Forward convolves every channel of x[N,C,H,W] with its own filter.
func (c *DepthwiseConv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.DepthwiseConv2d(x, c.Weight, c.Bias, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation})
}

// Hardswish is torch.nn.Hardswish.
type Hardswish struct{ noMembers }

// Forward applies x·relu6(x+3)/6.
func (Hardswish) Forward(x *autograd.Var) *autograd.Var { return autograd.Hardswish(x) }

// Hardsigmoid is torch.nn.Hardsigmoid.
type Hardsigmoid struct{ noMembers }

// Forward applies relu6(x+3)/6.
func (Hardsigmoid) Forward(x *autograd.Var) *autograd.Var { return autograd.Hardsigmoid(x) }
