package nn

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// Module is a node of a network: it owns parameters and buffers and may
// contain child modules. Members lists them under local names; the dotted
// state-dict names are built by the walkers in this package.
type Module interface {
	Members() Members
}

// Layer is a Module mapping one activation to another.
type Layer interface {
	Module
	Forward(x *autograd.Var) *autograd.Var
}

// Members is what a module owns directly. Order matters: it fixes the
// order of Parameters (and so of optimizer groups), as registration order
// does in PyTorch. Nil entries (an absent bias) are skipped.
type Members struct {
	Params   []NamedVar
	Buffers  []NamedTensor
	Children []NamedModule
}

// NamedVar is a parameter under a name.
type NamedVar struct {
	Name string
	Var  *autograd.Var
}

// NamedTensor is a buffer under a name.
type NamedTensor struct {
	Name   string
	Tensor *tensor.Tensor
}

// NamedModule is a child under a name.
type NamedModule struct {
	Name   string
	Module Module
}

// ModeSetter is implemented by modules that behave differently in training
// and evaluation (BatchNorm2d, Dropout).
type ModeSetter interface {
	SetTraining(train bool)
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// walk visits m's subtree depth-first in registration order, own members
// before children, as torch's named_parameters does.
func walk(prefix string, m Module, param func(string, *autograd.Var), buffer func(string, *tensor.Tensor), module func(string, Module)) {
	if m == nil {
		return
	}
	if module != nil {
		module(prefix, m)
	}
	mem := m.Members()
	if param != nil {
		for _, p := range mem.Params {
			if p.Var != nil {
				param(join(prefix, p.Name), p.Var)
			}
		}
	}
	if buffer != nil {
		for _, b := range mem.Buffers {
			if b.Tensor != nil {
				buffer(join(prefix, b.Name), b.Tensor)
			}
		}
	}
	for _, c := range mem.Children {
		walk(join(prefix, c.Name), c.Module, param, buffer, module)
	}
}

// NamedParameters returns m's parameters with their dotted names, each
// parameter once (a shared parameter keeps its first name), and sets every
// Var.Name to that name so optimizer state is keyed by it.
func NamedParameters(m Module) []NamedVar {
	var out []NamedVar
	seen := map[*autograd.Var]bool{}
	walk("", m, func(name string, p *autograd.Var) {
		if seen[p] {
			return
		}
		seen[p] = true
		p.Name = name
		out = append(out, NamedVar{name, p})
	}, nil, nil)
	return out
}

// Parameters returns m's parameters in registration order (see
// NamedParameters, which it calls: names are set as a side effect).
func Parameters(m Module) []*autograd.Var {
	named := NamedParameters(m)
	out := make([]*autograd.Var, len(named))
	for i, p := range named {
		out[i] = p.Var
	}
	return out
}

// Buffers returns m's buffers (running statistics) with dotted names.
func Buffers(m Module) []NamedTensor {
	var out []NamedTensor
	walk("", m, nil, func(name string, t *tensor.Tensor) { out = append(out, NamedTensor{name, t}) }, nil)
	return out
}

// NumParams counts the scalar parameters of m.
func NumParams(m Module) int {
	n := 0
	for _, p := range NamedParameters(m) {
		n += len(p.Var.Value.Data)
	}
	return n
}

// StateDict maps every parameter and buffer name to its live tensor, like
// torch's state_dict(); pass it to checkpoint.Save. A parameter shared by
// several modules appears once, under its first name (torch lists it under
// every name).
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for _, p := range NamedParameters(m) {
		sd[p.Name] = p.Var.Value
	}
	for _, b := range Buffers(m) {
		sd[b.Name] = b.Tensor
	}
	return sd
}

// LoadStateDict copies sd into m's parameters and buffers. sd must hold
// exactly m's names with matching shapes; otherwise m is left unchanged and
// the error names the first offending tensor (in sorted order).
func LoadStateDict(m Module, sd map[string]*tensor.Tensor) error {
	own := StateDict(m)
	names := make([]string, 0, len(own))
	for k := range own {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t, ok := sd[k]
		if !ok || t == nil {
			return fmt.Errorf("nn: state dict is missing %q", k)
		}
		if !tensor.ShapeEqual(t.Shape, own[k].Shape) || len(t.Data) != len(own[k].Data) {
			return fmt.Errorf("nn: state dict entry %q has shape %v, model has %v", k, t.Shape, own[k].Shape)
		}
	}
	extra := make([]string, 0)
	for k := range sd {
		if _, ok := own[k]; !ok {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("nn: state dict has unexpected entry %q", extra[0])
	}
	for _, k := range names {
		own[k].CopyFrom(sd[k])
	}
	return nil
}

// setMode calls SetTraining on every module of the tree.
func setMode(m Module, train bool) {
	walk("", m, nil, nil, func(_ string, mod Module) {
		if s, ok := mod.(ModeSetter); ok {
			s.SetTraining(train)
		}
	})
}

// Train puts every module of m in training mode (batch statistics, dropout on).
func Train(m Module) { setMode(m, true) }

// Eval puts every module of m in evaluation mode (running statistics, no dropout).
func Eval(m Module) { setMode(m, false) }

// FreezeBatchNorm puts every BatchNorm2d of m in evaluation mode: it
// normalises with its running statistics and stops updating them, while
// the rest of m keeps its mode (dropout stays on in training). Fine-tuning
// on batches unlike the data the statistics were gathered on (mixed-content
// images with pasted negatives) then cannot shift them.
func FreezeBatchNorm(m Module) {
	walk("", m, nil, nil, func(_ string, mod Module) {
		if bn, ok := mod.(*BatchNorm2d); ok {
			bn.SetTraining(false)
		}
	})
}

// SetRequiresGrad freezes (false) or unfreezes (true) every parameter of m.
func SetRequiresGrad(m Module, requiresGrad bool) {
	for _, p := range NamedParameters(m) {
		p.Var.SetRequiresGrad(requiresGrad)
	}
}

// ZeroGrad drops the gradients of every parameter of m.
func ZeroGrad(m Module) {
	for _, p := range NamedParameters(m) {
		p.Var.ZeroGrad()
	}
}

// ModuleList holds child modules named "0", "1", … (torch.nn.ModuleList):
// a container for blocks whose forward the parent writes itself.
type ModuleList []Module

// Members lists the modules as children "0", "1", ….
func (l ModuleList) Members() Members {
	ch := make([]NamedModule, len(l))
	for i, m := range l {
		ch[i] = NamedModule{strconv.Itoa(i), m}
	}
	return Members{Children: ch}
}

// Sequential applies its layers in order; children are named "0", "1", …
// as in torch.nn.Sequential.
type Sequential struct {
	Layers []Layer
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Layer) *Sequential { return &Sequential{Layers: layers} }

// Members lists the layers as children "0", "1", ….
func (s *Sequential) Members() Members {
	ch := make([]NamedModule, len(s.Layers))
	for i, l := range s.Layers {
		ch[i] = NamedModule{strconv.Itoa(i), l}
	}
	return Members{Children: ch}
}

// Forward applies the layers in order.
//
// Without gradients, a convolution followed by an evaluation-mode
// BatchNorm2d (and a ReLU or Hardswish) runs as one fused layer, and so
// does such a BN with its activation (fuse.go). With gradients, a
// convolution followed by a ReLU runs as one autograd op
// (autograd.Conv2dReLU, bit for bit the two layers).
//
// Without gradients, the tensors passed between its layers are also
// recycled once the next layer has consumed them (tensor.Recycle), unless
// that layer returned them or a view of them, or they are (a view of) the
// Sequential's own input.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	fuse := fusing()
	in := x.Value
	for i := 0; i < len(s.Layers); i++ {
		var y *autograd.Var
		n := 0
		if fuse {
			if y, n = fuseConvBN(s.Layers[i:], x); n == 0 {
				y, n = fuseBNAct(s.Layers[i:], x)
			}
		} else if c, ok := s.Layers[i].(*Conv2d); ok && i+1 < len(s.Layers) {
			if act, ok := activationOf(s.Layers[i+1]); ok && act == tensor.ActReLU {
				y, n = ConvAct(c, x, act), 2
			}
		}
		if n == 0 {
			y, n = s.Layers[i].Forward(x), 1
		}
		if fuse && i > 0 && !tensor.Overlap(x.Value, y.Value) && !tensor.Overlap(x.Value, in) {
			tensor.Recycle(x.Value) // made by the previous layer, read by this one only
		}
		x, i = y, i+n-1
	}
	return x
}
