package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
)

// noMembers is embedded by parameter-free layers.
type noMembers struct{}

// Members is empty.
func (noMembers) Members() Members { return Members{} }

// ReLU is max(x, 0) (torch.nn.ReLU).
type ReLU struct{ noMembers }

// Forward applies ReLU.
func (ReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.Relu(x) }

// LeakyReLU is torch.nn.LeakyReLU: x for x ≥ 0, Slope·x otherwise
// (PyTorch's default slope is 0.01).
type LeakyReLU struct {
	noMembers
	Slope float32
}

// Forward applies leaky ReLU.
func (l LeakyReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.LeakyRelu(x, l.Slope) }

// Tanh is torch.nn.Tanh.
type Tanh struct{ noMembers }

// Forward applies tanh.
func (Tanh) Forward(x *autograd.Var) *autograd.Var { return autograd.Tanh(x) }

// Sigmoid is torch.nn.Sigmoid.
type Sigmoid struct{ noMembers }

// Forward applies the logistic sigmoid.
func (Sigmoid) Forward(x *autograd.Var) *autograd.Var { return autograd.Sigmoid(x) }

// Identity passes its input through (torch.nn.Identity).
type Identity struct{ noMembers }

// Forward returns x.
func (Identity) Forward(x *autograd.Var) *autograd.Var { return x }

// MaxPool2d is torch.nn.MaxPool2d with square windows (stride 0
// means the kernel size, as PyTorch's default).
type MaxPool2d struct {
	noMembers
	Kernel, Stride, Padding int
}

// Forward max-pools x.
func (p MaxPool2d) Forward(x *autograd.Var) *autograd.Var {
	s := p.Stride
	if s == 0 {
		s = p.Kernel
	}
	return autograd.MaxPool2d(x, p.Kernel, s, p.Padding)
}

// AvgPool2d is torch.nn.AvgPool2d (count_include_pad=True; stride 0
// means the kernel size).
type AvgPool2d struct {
	noMembers
	Kernel, Stride, Padding int
}

// Forward average-pools x.
func (p AvgPool2d) Forward(x *autograd.Var) *autograd.Var {
	s := p.Stride
	if s == 0 {
		s = p.Kernel
	}
	return autograd.AvgPool2d(x, p.Kernel, s, p.Padding)
}

// UpsampleBilinear scales H and W by an integer factor with bilinear
// interpolation, align_corners=False (torch.nn.Upsample(scale_factor,
// mode="bilinear")).
type UpsampleBilinear struct {
	noMembers
	Scale int
}

// Forward resizes x[N,C,H,W] to [N,C,H·Scale,W·Scale].
func (u UpsampleBilinear) Forward(x *autograd.Var) *autograd.Var {
	_, _, h, w := x.Value.NCHW()
	return autograd.ResizeBilinear(x, h*u.Scale, w*u.Scale)
}

// Dropout is torch.nn.Dropout (element-wise, inverted scaling); active in
// training mode only. Its mask comes from Rng, so a seeded Rng reproduces
// it; MC dropout keeps one Dropout in training mode at inference time.
type Dropout struct {
	noMembers
	P        float32
	Rng      *rand.Rand
	training bool
	channel  bool
}

// NewDropout returns element-wise dropout with drop probability p.
func NewDropout(rng *rand.Rand, p float32) *Dropout {
	if !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("nn.NewDropout: probability %g outside [0,1]", p))
	}
	return &Dropout{P: p, Rng: rng, training: true}
}

// NewDropout2d returns channel-wise dropout (torch.nn.Dropout2d): whole
// feature maps are dropped with probability p.
func NewDropout2d(rng *rand.Rand, p float32) *Dropout {
	d := NewDropout(rng, p)
	d.channel = true
	return d
}

// SetTraining turns the dropout on (true) or off.
func (d *Dropout) SetTraining(train bool) { d.training = train }

// Training reports whether the dropout is on.
func (d *Dropout) Training() bool { return d.training }

// Forward drops activations in training mode and is the identity otherwise.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var {
	if d.channel {
		return autograd.Dropout2d(x, d.P, d.training, d.Rng)
	}
	return autograd.Dropout(x, d.P, d.training, d.Rng)
}
