package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// Conv2d is torch.nn.Conv2d with groups = 1 and square kernels:
// y = W ⋆ x + b with W[out,in,k,k].
type Conv2d struct {
	InChannels, OutChannels           int
	Kernel, Stride, Padding, Dilation int
	Weight, Bias                      *autograd.Var // Bias nil without bias
}

// NewConv2d returns a Conv2d in PyTorch's argument order (stride and
// dilation 0 mean 1), initialized as torch does from rng.
func NewConv2d(rng *rand.Rand, in, out, kernel, stride, padding, dilation int, bias bool) *Conv2d {
	if in <= 0 || out <= 0 || kernel <= 0 || stride < 0 || padding < 0 || dilation < 0 {
		panic(fmt.Sprintf("nn.NewConv2d: invalid sizes in=%d out=%d kernel=%d stride=%d padding=%d dilation=%d", in, out, kernel, stride, padding, dilation))
	}
	stride, dilation = max(stride, 1), max(dilation, 1)
	c := &Conv2d{InChannels: in, OutChannels: out, Kernel: kernel, Stride: stride, Padding: padding, Dilation: dilation}
	c.Weight, c.Bias = newWeightBias(rng, []int{out, in, kernel, kernel}, out, bias)
	return c
}

// Members lists weight and bias.
func (c *Conv2d) Members() Members {
	return Members{Params: []NamedVar{{"weight", c.Weight}, {"bias", c.Bias}}}
}

// Forward convolves x[N,in,H,W].
func (c *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Conv2d(x, c.Weight, c.Bias, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation})
}

// ConvTranspose2d is torch.nn.ConvTranspose2d with groups = 1: the adjoint
// of a Conv2d, weight [in,out,k,k] in PyTorch's layout. The output size is
// (H−1)·stride − 2·padding + dilation·(k−1) + outputPadding + 1.
type ConvTranspose2d struct {
	InChannels, OutChannels                          int
	Kernel, Stride, Padding, OutputPadding, Dilation int
	Weight, Bias                                     *autograd.Var
}

// NewConvTranspose2d follows PyTorch's argument order (in, out, kernel,
// stride, padding, output_padding, bias, dilation); stride and dilation 0
// mean 1.
func NewConvTranspose2d(rng *rand.Rand, in, out, kernel, stride, padding, outputPadding int, bias bool, dilation int) *ConvTranspose2d {
	if in <= 0 || out <= 0 || kernel <= 0 || stride < 0 || padding < 0 || outputPadding < 0 || dilation < 0 {
		panic(fmt.Sprintf("nn.NewConvTranspose2d: invalid sizes in=%d out=%d kernel=%d stride=%d padding=%d output_padding=%d dilation=%d",
			in, out, kernel, stride, padding, outputPadding, dilation))
	}
	stride, dilation = max(stride, 1), max(dilation, 1)
	c := &ConvTranspose2d{InChannels: in, OutChannels: out, Kernel: kernel, Stride: stride, Padding: padding, OutputPadding: outputPadding, Dilation: dilation}
	c.Weight, c.Bias = newWeightBias(rng, []int{in, out, kernel, kernel}, out, bias)
	return c
}

// newWeightBias allocates a convolution's weight of the given shape and,
// if bias, its bias of length out, initialised as torch does (defaultInit).
func newWeightBias(rng *rand.Rand, shape []int, out int, bias bool) (weight, b *autograd.Var) {
	w := tensor.New(shape...)
	var bt *tensor.Tensor
	if bias {
		bt = tensor.New(out)
	}
	defaultInit(rng, w, bt)
	weight = autograd.Param(w, "")
	if bias {
		b = autograd.Param(bt, "")
	}
	return weight, b
}

// Members lists weight and bias.
func (c *ConvTranspose2d) Members() Members {
	return Members{Params: []NamedVar{{"weight", c.Weight}, {"bias", c.Bias}}}
}

// Forward applies the transposed convolution to x[N,in,H,W].
func (c *ConvTranspose2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.ConvTranspose2d(x, c.Weight, c.Bias, tensor.ConvOpts{Stride: c.Stride, Pad: c.Padding, Dilation: c.Dilation}, c.OutputPadding)
}

// Default BatchNorm2d hyperparameters (PyTorch's).
const (
	DefaultBNMomentum = 0.1
	DefaultBNEps      = 1e-5
)

// BatchNorm2d is torch.nn.BatchNorm2d (affine, tracking running stats):
// per-channel normalisation by batch statistics in training mode and by
// running statistics in evaluation mode (Ioffe & Szegedy,
// arXiv:1502.03167). Its state-dict entries are weight, bias, running_mean,
// running_var and num_batches_tracked (a float32 scalar here).
type BatchNorm2d struct {
	NumFeatures int
	// Momentum of the running statistics update (PyTorch's convention:
	// new = (1−momentum)·old + momentum·batch), Eps the variance floor.
	Momentum, Eps     float32
	Weight, Bias      *autograd.Var
	RunningMean       *tensor.Tensor
	RunningVar        *tensor.Tensor
	NumBatchesTracked *tensor.Tensor
	training          bool
}

// NewBatchNorm2d returns a BatchNorm2d in training mode with weight 1,
// bias 0, running mean 0 and running variance 1.
func NewBatchNorm2d(numFeatures int) *BatchNorm2d {
	if numFeatures <= 0 {
		panic(fmt.Sprintf("nn.NewBatchNorm2d: invalid number of features %d", numFeatures))
	}
	return &BatchNorm2d{
		NumFeatures:       numFeatures,
		Momentum:          DefaultBNMomentum,
		Eps:               DefaultBNEps,
		Weight:            autograd.Param(tensor.Full(1, numFeatures), ""),
		Bias:              autograd.Param(tensor.New(numFeatures), ""),
		RunningMean:       tensor.New(numFeatures),
		RunningVar:        tensor.Full(1, numFeatures),
		NumBatchesTracked: tensor.New(),
		training:          true,
	}
}

// Members lists the affine parameters and the running statistics.
func (b *BatchNorm2d) Members() Members {
	return Members{
		Params: []NamedVar{{"weight", b.Weight}, {"bias", b.Bias}},
		Buffers: []NamedTensor{
			{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}, {"num_batches_tracked", b.NumBatchesTracked},
		},
	}
}

// SetTraining switches between batch and running statistics.
func (b *BatchNorm2d) SetTraining(train bool) { b.training = train }

// Training reports the mode.
func (b *BatchNorm2d) Training() bool { return b.training }

// Forward normalises x[N,C,H,W]; in training mode it also updates the
// running statistics and the batch counter.
func (b *BatchNorm2d) Forward(x *autograd.Var) *autograd.Var {
	y := autograd.BatchNorm2d(x, b.Weight, b.Bias, b.RunningMean, b.RunningVar, b.training, b.Momentum, b.Eps)
	if b.training && b.NumBatchesTracked != nil {
		b.NumBatchesTracked.Data[0]++
	}
	return y
}

// Linear is torch.nn.Linear: y = x·Wᵀ + b for x[N,in], W[out,in].
type Linear struct {
	InFeatures, OutFeatures int
	Weight, Bias            *autograd.Var
}

// NewLinear returns a Linear layer initialized as torch does.
func NewLinear(rng *rand.Rand, in, out int, bias bool) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn.NewLinear: invalid sizes in=%d out=%d", in, out))
	}
	l := &Linear{InFeatures: in, OutFeatures: out}
	w := tensor.New(out, in)
	var b *tensor.Tensor
	if bias {
		b = tensor.New(out)
	}
	defaultInit(rng, w, b)
	l.Weight = autograd.Param(w, "")
	if bias {
		l.Bias = autograd.Param(b, "")
	}
	return l
}

// Members lists weight and bias.
func (l *Linear) Members() Members {
	return Members{Params: []NamedVar{{"weight", l.Weight}, {"bias", l.Bias}}}
}

// Forward maps x[N,in] to [N,out].
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Linear(x, l.Weight, l.Bias)
}
