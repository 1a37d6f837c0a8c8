package autograd

import (
	"fmt"
	"sync/atomic"

	"github.com/nflowjs/nflowjs/tensor"
)

// noGradDepth counts active NoGrad scopes. While it is positive, NewOp
// records nothing. It is process-wide: see NoGrad.
var noGradDepth atomic.Int64

// NoGrad turns graph recording off until the returned restore function is
// called, so inference through layers whose parameters require gradients
// allocates no backward closures and keeps no intermediate values alive:
//
//	defer autograd.NoGrad()()
//	logits := model.Forward(x)
//
// Scopes nest (a counter backs them) and restore is idempotent. The switch is
// process-wide, not per goroutine, because Go has no goroutine-local state:
// never run a training step concurrently with a NoGrad scope in the same
// process. Code that must infer while another goroutine trains should
// instead feed Detach'ed (frozen) parameters, which records nothing either.
func NoGrad() (restore func()) {
	noGradDepth.Add(1)
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			noGradDepth.Add(-1)
		}
	}
}

// GradEnabled reports whether ops currently record the graph (no NoGrad
// scope is active).
func GradEnabled() bool { return noGradDepth.Load() == 0 }

// Var is a node of the computation graph: a value, its gradient (after
// Backward), and how to push a gradient back to its parents.
type Var struct {
	Value *tensor.Tensor
	// Grad holds ∂loss/∂Value after Backward; nil until something flows in.
	Grad *tensor.Tensor
	// Name is optional; parameters carry their dotted state-dict name.
	Name string

	requiresGrad bool
	parents      []*Var
	// backward receives this node's gradient and accumulates the
	// contributions into its parents (via AccumGrad).
	backward func(g *tensor.Tensor)
}

// Param returns a leaf that requires a gradient (a trainable parameter).
func Param(t *tensor.Tensor, name string) *Var {
	return &Var{Value: t, Name: name, requiresGrad: true}
}

// Const returns a leaf that needs no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// Input returns a leaf whose gradient is wanted if requiresGrad is true
// (e.g. the image for ODIN's input perturbation).
func Input(t *tensor.Tensor, requiresGrad bool) *Var {
	return &Var{Value: t, requiresGrad: requiresGrad}
}

// RequiresGrad reports whether gradients flow into v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad turns gradient tracking of a leaf on or off (freezing).
func (v *Var) SetRequiresGrad(b bool) {
	if v.backward != nil {
		panic("autograd: SetRequiresGrad on a non-leaf Var")
	}
	v.requiresGrad = b
}

// Shape is shorthand for v.Value.Shape.
func (v *Var) Shape() []int { return v.Value.Shape }

// Detach returns a Const sharing v's value: gradients stop here.
func (v *Var) Detach() *Var { return Const(v.Value) }

// NewOp makes the result of an op. If no parent requires a gradient, or a
// NoGrad scope is active, the result is a constant and back is dropped;
// otherwise back will be called with the result's gradient during Backward.
// back must not modify g (it may be shared with other nodes). Op
// implementations call this; it is exported so packages above autograd can
// define fused ops.
func NewOp(value *tensor.Tensor, back func(g *tensor.Tensor), parents ...*Var) *Var {
	out := &Var{Value: value}
	if tracer != nil {
		tracer.Created(out)
	}
	if !GradEnabled() {
		return out
	}
	for _, p := range parents {
		if p != nil && p.requiresGrad {
			out.requiresGrad = true
			break
		}
	}
	if out.requiresGrad {
		out.parents = parents
		out.backward = back
	}
	return out
}

// AccumGrad adds g into v.Grad (allocating it on first use). It is a no-op
// for Vars that require no gradient, so VJPs may call it unconditionally.
func (v *Var) AccumGrad(g *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		return
	}
	if len(g.Data) != len(v.Value.Data) {
		panic(fmt.Sprintf("autograd: gradient of shape %v for value of shape %v", g.Shape, v.Value.Shape))
	}
	if v.Grad == nil {
		v.Grad = tensor.FromData(append([]float32(nil), g.Data...), v.Value.Shape...)
		return
	}
	if !tensor.ShapeEqual(g.Shape, v.Grad.Shape) {
		g = g.Reshape(v.Grad.Shape...)
	}
	tensor.AddInPlace(v.Grad, g)
}

// accumOwned is AccumGrad for a gradient tensor the caller allocated and
// will not touch again: on first use v adopts it instead of copying. Fresh
// results of package tensor's kernels qualify (they always allocate);
// the incoming gradient of a VJP does not (other nodes may share it).
func (v *Var) accumOwned(g *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		return
	}
	if v.Grad == nil {
		if len(g.Data) != len(v.Value.Data) {
			panic(fmt.Sprintf("autograd: gradient of shape %v for value of shape %v", g.Shape, v.Value.Shape))
		}
		if !tensor.ShapeEqual(g.Shape, v.Value.Shape) {
			g = g.Reshape(v.Value.Shape...)
		}
		v.Grad = g
		return
	}
	v.AccumGrad(g)
}

// needsGrad reports whether v takes part in Backward (non-nil and
// requiring a gradient); ops use it to skip VJPs nobody will read.
func needsGrad(v *Var) bool { return v != nil && v.requiresGrad }

// ZeroGrad drops the gradient.
func (v *Var) ZeroGrad() { v.Grad = nil }

// Backward back-propagates from a scalar v (one element), seeding ∂v/∂v = 1.
func (v *Var) Backward() {
	if len(v.Value.Data) != 1 {
		panic(fmt.Sprintf("autograd: Backward on non-scalar of shape %v; use BackwardWith", v.Value.Shape))
	}
	v.BackwardWith(tensor.Full(1, v.Value.Shape...))
}

// BackwardWith back-propagates a given output gradient (a vector–Jacobian
// product). Gradients of intermediate nodes are released afterwards; leaf
// gradients accumulate across calls until ZeroGrad.
func (v *Var) BackwardWith(seed *tensor.Tensor) {
	if !v.requiresGrad {
		panic("autograd: Backward on a Var that requires no gradient")
	}
	order := topoSort(v)
	v.AccumGrad(seed)
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.backward == nil {
			continue // leaf
		}
		if n.Grad != nil {
			n.backward(n.Grad)
		}
		n.Grad = nil // intermediate: free memory early
	}
}

// topoSort returns the nodes reachable from root that require gradients,
// parents before children. Iterative so deep graphs cannot overflow.
func topoSort(root *Var) []*Var {
	var order []*Var
	visited := map[*Var]bool{}
	type frame struct {
		v    *Var
		next int
	}
	stack := []frame{{v: root}}
	visited[root] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.v.parents) {
			p := top.v.parents[top.next]
			top.next++
			if p != nil && p.requiresGrad && !visited[p] {
				visited[p] = true
				stack = append(stack, frame{v: p})
			}
			continue
		}
		order = append(order, top.v)
		stack = stack[:len(stack)-1]
	}
	return order
}
