package optim

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// ParamGroup is a set of parameters sharing a learning rate and a weight
// decay, like a PyTorch param_group (e.g. a pretrained encoder at 1e-4 and a
// decoder at 4e-4).
type ParamGroup struct {
	// Name is optional and only used in error messages.
	Name   string
	Params []*autograd.Var
	// LR is the current learning rate. Schedules overwrite it from InitialLR.
	LR float64
	// InitialLR is the learning rate schedules start from; constructors set
	// it to LR when it is zero (PyTorch's "initial_lr").
	InitialLR float64
	// WeightDecay is the L2 penalty coefficient (decoupled for AdamW).
	WeightDecay float64
}

// Group is shorthand for a ParamGroup with a learning rate and no weight decay.
func Group(lr float64, params ...*autograd.Var) ParamGroup {
	return ParamGroup{Params: params, LR: lr}
}

// Optimizer is the interface shared by SGD, Adam and Adamax.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad drops every parameter's gradient (PyTorch's set_to_none=True).
	ZeroGrad()
	// Groups returns the parameter groups; schedules set their LR fields.
	Groups() []*ParamGroup
	// State returns a deep copy of the optimizer state for checkpointing.
	State() State
	// LoadState replaces the optimizer state with a copy of s after checking
	// that every entry matches a parameter of this optimizer.
	LoadState(s State) error
}

// State is an optimizer's resumable state. Tensors are keyed
// "<param>.<buffer>" (e.g. "head.weight.exp_avg"), Steps by parameter key.
// A parameter's key is its Var.Name, or "group<g>.param<i>" if unnamed.
// Learning rates are not part of the state: SetLR recomputes them from the
// epoch, so a resumed run calls SetLR before its first Step.
type State struct {
	Tensors map[string]*tensor.Tensor
	Steps   map[string]int64
}

// stepMetaPrefix marks step counters stored as checkpoint metadata.
const stepMetaPrefix = "optim.step."

// StepsMeta encodes the step counters as string metadata (for a
// safetensors header), keys "optim.step.<param>".
func (s State) StepsMeta() map[string]string {
	m := make(map[string]string, len(s.Steps))
	for k, v := range s.Steps {
		m[stepMetaPrefix+k] = strconv.FormatInt(v, 10)
	}
	return m
}

// ParseStepsMeta is the inverse of StepsMeta; keys without the
// "optim.step." prefix are ignored so a checkpoint may carry other metadata.
func ParseStepsMeta(meta map[string]string) (map[string]int64, error) {
	steps := map[string]int64{}
	for k, v := range meta {
		name, ok := strings.CutPrefix(k, stepMetaPrefix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("optim: step counter %q has invalid value %q", k, v)
		}
		steps[name] = n
	}
	return steps, nil
}

// core holds what all optimizers share: groups, parameter keys, step
// counters and named per-parameter buffers.
type core struct {
	groups  []*ParamGroup
	keys    map[*autograd.Var]string
	steps   map[*autograd.Var]int64
	bufs    map[*autograd.Var]map[string]*tensor.Tensor
	bufName []string // buffer names this optimizer keeps, e.g. exp_avg
}

func newCore(groups []ParamGroup, bufNames ...string) (core, error) {
	c := core{
		keys:    map[*autograd.Var]string{},
		steps:   map[*autograd.Var]int64{},
		bufs:    map[*autograd.Var]map[string]*tensor.Tensor{},
		bufName: bufNames,
	}
	if len(groups) == 0 {
		return c, errors.New("optim: no parameter groups")
	}
	seenKey := map[string]bool{}
	for gi := range groups {
		g := groups[gi] // copy: the optimizer owns its groups
		label := g.Name
		if label == "" {
			label = fmt.Sprintf("group %d", gi)
		}
		if !(g.LR >= 0) || math.IsInf(g.LR, 0) {
			return c, fmt.Errorf("optim: %s: invalid learning rate %v", label, g.LR)
		}
		if !(g.WeightDecay >= 0) || math.IsInf(g.WeightDecay, 0) {
			return c, fmt.Errorf("optim: %s: invalid weight decay %v", label, g.WeightDecay)
		}
		if g.InitialLR == 0 {
			g.InitialLR = g.LR
		}
		g.Params = append([]*autograd.Var(nil), g.Params...)
		for pi, p := range g.Params {
			if p == nil || p.Value == nil {
				return c, fmt.Errorf("optim: %s: parameter %d is nil", label, pi)
			}
			if _, dup := c.keys[p]; dup {
				return c, fmt.Errorf("optim: parameter %q (%s, index %d) appears more than once", p.Name, label, pi)
			}
			key := p.Name
			if key == "" {
				key = fmt.Sprintf("group%d.param%d", gi, pi)
			}
			if seenKey[key] {
				return c, fmt.Errorf("optim: two parameters share the name %q", key)
			}
			seenKey[key] = true
			c.keys[p] = key
		}
		c.groups = append(c.groups, &g)
	}
	return c, nil
}

// Groups returns the parameter groups.
func (c *core) Groups() []*ParamGroup { return c.groups }

// ZeroGrad drops every parameter's gradient.
func (c *core) ZeroGrad() {
	for _, g := range c.groups {
		for _, p := range g.Params {
			p.ZeroGrad()
		}
	}
}

// buffers returns p's named buffers, allocating zeroed ones on first use.
// fresh reports whether they were just allocated.
func (c *core) buffers(p *autograd.Var) (bufs map[string]*tensor.Tensor, fresh bool) {
	if b, ok := c.bufs[p]; ok {
		return b, false
	}
	b := make(map[string]*tensor.Tensor, len(c.bufName))
	for _, n := range c.bufName {
		b[n] = tensor.NewLike(p.Value)
	}
	c.bufs[p] = b
	return b, true
}

// State returns a deep copy of the step counters and buffers.
func (c *core) State() State {
	s := State{Tensors: map[string]*tensor.Tensor{}, Steps: map[string]int64{}}
	for p, key := range c.keys {
		if n, ok := c.steps[p]; ok {
			s.Steps[key] = n
		}
		for name, t := range c.bufs[p] {
			s.Tensors[key+"."+name] = t.Clone()
		}
	}
	return s
}

// LoadState replaces the state with a copy of s. Every step counter must
// name a parameter of this optimizer, every such parameter must come with
// all its buffers in the right shape, and no tensor may be left over.
func (c *core) LoadState(s State) error {
	byKey := make(map[string]*autograd.Var, len(c.keys))
	for p, k := range c.keys {
		byKey[k] = p
	}
	used := map[string]bool{}
	steps := map[*autograd.Var]int64{}
	bufs := map[*autograd.Var]map[string]*tensor.Tensor{}
	keys := make([]string, 0, len(s.Steps))
	for k := range s.Steps {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic first error
	for _, k := range keys {
		p, ok := byKey[k]
		if !ok {
			return fmt.Errorf("optim: state for unknown parameter %q", k)
		}
		if s.Steps[k] < 0 {
			return fmt.Errorf("optim: parameter %q: negative step count %d", k, s.Steps[k])
		}
		steps[p] = s.Steps[k]
		b := make(map[string]*tensor.Tensor, len(c.bufName))
		for _, name := range c.bufName {
			tk := k + "." + name
			t, ok := s.Tensors[tk]
			if !ok || t == nil {
				return fmt.Errorf("optim: state is missing tensor %q", tk)
			}
			if !tensor.ShapeEqual(t.Shape, p.Value.Shape) || len(t.Data) != len(p.Value.Data) {
				return fmt.Errorf("optim: state tensor %q has shape %v, parameter has %v", tk, t.Shape, p.Value.Shape)
			}
			b[name] = t.Clone()
			used[tk] = true
		}
		if len(c.bufName) > 0 {
			bufs[p] = b
		}
	}
	for k := range s.Tensors {
		if !used[k] {
			return fmt.Errorf("optim: unexpected state tensor %q", k)
		}
	}
	c.steps, c.bufs = steps, bufs
	return nil
}
