package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// segnetRef is SegNetRef of ../shared/bench/torch_reference.py built from
// nn layers, with the same state-dict names ("body.0.weight", …,
// "head.bias"): conv3x3 3→32, 32→64 stride 2, 64→64, 64→64, 64→32, each
// followed by ReLU, bilinear ×2 (align_corners=False), conv3x3 32→10; all
// convolutions padding 1 with bias, PyTorch's default initialization.
type segnetRef struct {
	body []*nn.Conv2d
	head *nn.Conv2d
}

func newSegnetRef(rng *rand.Rand, classes int) *segnetRef {
	specs := [][3]int{{3, 32, 1}, {32, 64, 2}, {64, 64, 1}, {64, 64, 1}, {64, 32, 1}}
	m := &segnetRef{}
	for _, s := range specs {
		m.body = append(m.body, nn.NewConv2d(rng, s[0], s[1], 3, s[2], 1, 1, true))
	}
	m.head = nn.NewConv2d(rng, 32, classes, 3, 1, 1, 1, true)
	return m
}

// Members names the parameters as torch does: body is an nn.ModuleList.
func (m *segnetRef) Members() nn.Members {
	body := make(nn.ModuleList, len(m.body))
	for i, c := range m.body {
		body[i] = c
	}
	return nn.Members{Children: []nn.NamedModule{{Name: "body", Module: body}, {Name: "head", Module: m.head}}}
}

// Forward runs the layers as one nn.Sequential, so that without gradients
// each Conv+ReLU pair is fused and every intermediate activation is
// recycled for the next pass once consumed, as ONNX Runtime fuses Conv+Relu
// and plans its buffers.
func (m *segnetRef) Forward(x *autograd.Var) *autograd.Var {
	layers := make([]nn.Layer, 0, 2*len(m.body)+2)
	for _, c := range m.body {
		layers = append(layers, c, nn.ReLU{})
	}
	seq := nn.Sequential{Layers: append(layers, nn.UpsampleBilinear{Scale: 2}, m.head)}
	return seq.Forward(x)
}

// segnetBench holds one segnet-ref training setup: model, Adam (lr 1e-3),
// an 8×3×64×64 input and random labels of 10 classes.
type segnetBench struct {
	model  *segnetRef
	opt    *optim.Adam
	x      *autograd.Var
	labels []int32
}

func newSegnetBench() (*segnetBench, error) {
	const n, classes, size = 8, 10, 64
	rng := rand.New(rand.NewPCG(0, 0))
	m := newSegnetRef(rng, classes)
	opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-3, nn.Parameters(m)...)}, optim.DefaultAdamConfig())
	if err != nil {
		return nil, err
	}
	x := tensor.New(n, 3, size, size)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	labels := make([]int32, n*size*size)
	for i := range labels {
		labels[i] = int32(rng.IntN(classes))
	}
	return &segnetBench{model: m, opt: opt, x: autograd.Const(x), labels: labels}, nil
}

// step is one full training step, as torch_reference.py times it: zero
// grad, forward, pixel cross-entropy, backward, Adam update.
func (b *segnetBench) step() float32 {
	b.opt.ZeroGrad()
	loss := autograd.CrossEntropy(b.model.Forward(b.x), b.labels, -100)
	loss.Backward()
	b.opt.Step()
	return loss.Value.Data[0]
}

// forward is the no-grad forward pass.
func (b *segnetBench) forward() *tensor.Tensor {
	defer autograd.NoGrad()()
	return b.model.Forward(b.x).Value
}

func init() {
	register("segnet-ref", func() (map[string]any, error) {
		b, err := newSegnetBench()
		if err != nil {
			return nil, err
		}
		var loss float32
		train := MedianMS(func() { loss = b.step() }, 3, 20)
		if loss != loss {
			return nil, fmt.Errorf("segnet-ref: training diverged (loss %v)", loss)
		}
		fwd := MedianMS(func() { b.forward() }, 3, 20)
		return map[string]any{"train_step_ms": train, "forward_ms": fwd}, nil
	})
}
