package optim

import (
	"fmt"
	"math"
)

// Default Adam/Adamax hyperparameters (Kingma & Ba; PyTorch's defaults).
const (
	DefaultBeta1 = 0.9
	DefaultBeta2 = 0.999
	DefaultEps   = 1e-8
)

// AdamConfig holds the hyperparameters of Adam and Adamax. Start from
// DefaultAdamConfig: zero is a legal value for every field.
type AdamConfig struct {
	Beta1, Beta2 float64
	// Eps is added to the denominator after bias correction (Adam) or to
	// |g| inside the running maximum (Adamax), as in PyTorch.
	Eps float64
	// Decoupled selects AdamW: weight decay multiplies the parameter by
	// (1 − lr·λ) instead of adding λp to the gradient. Ignored by Adamax.
	Decoupled bool
}

// DefaultAdamConfig returns β₁=0.9, β₂=0.999, ε=1e-8.
func DefaultAdamConfig() AdamConfig {
	return AdamConfig{Beta1: DefaultBeta1, Beta2: DefaultBeta2, Eps: DefaultEps}
}

func (c AdamConfig) validate(name string) error {
	if !(c.Beta1 >= 0 && c.Beta1 < 1) || !(c.Beta2 >= 0 && c.Beta2 < 1) {
		return fmt.Errorf("optim: %s: betas (%v, %v) must lie in [0, 1)", name, c.Beta1, c.Beta2)
	}
	if !(c.Eps >= 0) || math.IsInf(c.Eps, 0) {
		return fmt.Errorf("optim: %s: invalid eps %v", name, c.Eps)
	}
	return nil
}

// Adam is torch.optim.Adam (or AdamW with Decoupled). With t the parameter's
// step count and g its gradient (plus λp unless decoupled):
//
//	m ← β₁m + (1−β₁)g
//	v ← β₂v + (1−β₂)g²
//	p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)
type Adam struct {
	core
	cfg AdamConfig
}

// NewAdam returns an Adam optimizer over the given groups.
func NewAdam(groups []ParamGroup, cfg AdamConfig) (*Adam, error) {
	if err := cfg.validate("Adam"); err != nil {
		return nil, err
	}
	c, err := newCore(groups, "exp_avg", "exp_avg_sq")
	if err != nil {
		return nil, err
	}
	return &Adam{core: c, cfg: cfg}, nil
}

// Step applies one Adam update.
func (o *Adam) Step() {
	b1, b2 := float32(o.cfg.Beta1), float32(o.cfg.Beta2)
	c1, c2 := float32(1-o.cfg.Beta1), float32(1-o.cfg.Beta2)
	eps := float32(o.cfg.Eps)
	for _, g := range o.groups {
		for _, p := range g.Params {
			if p.Grad == nil {
				continue
			}
			o.steps[p]++
			t := float64(o.steps[p])
			bufs, _ := o.buffers(p)
			x := p.Value.Data
			// Equal lengths let the compiler drop bounds checks in the loop.
			grad, m, v := p.Grad.Data[:len(x)], bufs["exp_avg"].Data[:len(x)], bufs["exp_avg_sq"].Data[:len(x)]
			if o.cfg.Decoupled && g.WeightDecay != 0 {
				decay := float32(1 - g.LR*g.WeightDecay)
				for i := range x {
					x[i] *= decay
				}
			}
			wd := float32(g.WeightDecay)
			if o.cfg.Decoupled {
				wd = 0
			}
			// Scalars in float64 as PyTorch computes them in Python.
			stepSize := float32(g.LR / (1 - math.Pow(o.cfg.Beta1, t)))
			bc2 := float32(math.Sqrt(1 - math.Pow(o.cfg.Beta2, t)))
			for i := range x {
				d := grad[i]
				if wd != 0 {
					d += wd * x[i]
				}
				m[i] = m[i]*b1 + c1*d
				v[i] = v[i]*b2 + c2*d*d
				denom := float32(math.Sqrt(float64(v[i])))/bc2 + eps
				x[i] -= stepSize * (m[i] / denom)
			}
		}
	}
}

// Adamax is torch.optim.Adamax, Adam's infinity-norm variant (Kingma & Ba,
// Algorithm 2, with PyTorch's ε inside the maximum):
//
//	m ← β₁m + (1−β₁)g
//	u ← max(β₂u, |g| + ε)
//	p ← p − lr/(1−β₁ᵗ) · m / u
type Adamax struct {
	core
	cfg AdamConfig
}

// NewAdamax returns an Adamax optimizer over the given groups. PyTorch's
// Adamax defaults are lr 2e-3, β=(0.9, 0.999), ε=1e-8.
func NewAdamax(groups []ParamGroup, cfg AdamConfig) (*Adamax, error) {
	if err := cfg.validate("Adamax"); err != nil {
		return nil, err
	}
	c, err := newCore(groups, "exp_avg", "exp_inf")
	if err != nil {
		return nil, err
	}
	return &Adamax{core: c, cfg: cfg}, nil
}

// Step applies one Adamax update.
func (o *Adamax) Step() {
	b1, b2 := float32(o.cfg.Beta1), float32(o.cfg.Beta2)
	c1 := float32(1 - o.cfg.Beta1)
	eps := float32(o.cfg.Eps)
	for _, g := range o.groups {
		wd := float32(g.WeightDecay)
		for _, p := range g.Params {
			if p.Grad == nil {
				continue
			}
			o.steps[p]++
			t := float64(o.steps[p])
			bufs, _ := o.buffers(p)
			x := p.Value.Data
			grad, m, u := p.Grad.Data[:len(x)], bufs["exp_avg"].Data[:len(x)], bufs["exp_inf"].Data[:len(x)]
			clr := float32(g.LR / (1 - math.Pow(o.cfg.Beta1, t)))
			for i := range x {
				d := grad[i]
				if wd != 0 {
					d += wd * x[i]
				}
				m[i] = m[i]*b1 + c1*d
				a := float32(math.Abs(float64(d))) + eps
				// max(β₂u, |g|+ε); a NaN gradient propagates as in torch.amax.
				if bu := u[i] * b2; bu > a || bu != bu {
					u[i] = bu
				} else {
					u[i] = a
				}
				x[i] -= clr * (m[i] / u[i])
			}
		}
	}
}
