package optim

import (
	"fmt"
	"math"
)

// SGDConfig holds SGD's hyperparameters. The zero value is plain SGD.
type SGDConfig struct {
	// Momentum μ (0 disables the momentum buffer). ResNet-style training uses 0.9.
	Momentum float64
	// Dampening scales the new gradient in the buffer: v ← μv + (1−dampening)g.
	Dampening float64
	// Nesterov uses g + μv as the step direction (needs Momentum > 0, Dampening 0).
	Nesterov bool
}

// SGD is stochastic gradient descent with optional momentum and weight
// decay, exactly torch.optim.SGD:
//
//	g ← ∇ + λp
//	v ← g on the first step, else μv + (1−dampening)g
//	d ← g + μv (Nesterov) or v
//	p ← p − lr·d
type SGD struct {
	core
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer over the given groups.
func NewSGD(groups []ParamGroup, cfg SGDConfig) (*SGD, error) {
	if !(cfg.Momentum >= 0) || math.IsInf(cfg.Momentum, 0) {
		return nil, fmt.Errorf("optim: SGD: invalid momentum %v", cfg.Momentum)
	}
	if math.IsNaN(cfg.Dampening) || math.IsInf(cfg.Dampening, 0) {
		return nil, fmt.Errorf("optim: SGD: invalid dampening %v", cfg.Dampening)
	}
	if cfg.Nesterov && (cfg.Momentum <= 0 || cfg.Dampening != 0) {
		return nil, fmt.Errorf("optim: SGD: Nesterov momentum requires a momentum and zero dampening")
	}
	var bufs []string
	if cfg.Momentum != 0 {
		bufs = []string{"momentum_buffer"}
	}
	c, err := newCore(groups, bufs...)
	if err != nil {
		return nil, err
	}
	return &SGD{core: c, cfg: cfg}, nil
}

// Step applies one SGD update.
func (o *SGD) Step() {
	mu := float32(o.cfg.Momentum)
	damp := float32(1 - o.cfg.Dampening)
	for _, g := range o.groups {
		lr, wd := float32(g.LR), float32(g.WeightDecay)
		for _, p := range g.Params {
			if p.Grad == nil {
				continue
			}
			o.steps[p]++
			x := p.Value.Data
			grad := p.Grad.Data[:len(x)]
			if mu == 0 {
				for i := range x {
					d := grad[i]
					if wd != 0 {
						d += wd * x[i]
					}
					x[i] -= lr * d
				}
				continue
			}
			bufs, fresh := o.buffers(p)
			v := bufs["momentum_buffer"].Data[:len(x)]
			for i := range x {
				d := grad[i]
				if wd != 0 {
					d += wd * x[i]
				}
				if fresh {
					v[i] = d // PyTorch clones the first gradient, undampened
				} else {
					v[i] = v[i]*mu + damp*d
				}
				if o.cfg.Nesterov {
					d += mu * v[i]
				} else {
					d = v[i]
				}
				x[i] -= lr * d
			}
		}
	}
}
