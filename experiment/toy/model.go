package toy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// MLP is the toy classifier: 2 → hidden → hidden → 2 with ReLU. ReLU
// networks are piecewise linear, so far from the data their logits grow
// linearly and max-softmax becomes confident — the failure Figure 2 shows.
type MLP struct {
	L1, L2, L3 *nn.Linear
}

// NewMLP returns a classifier with the given hidden width.
func NewMLP(rng *rand.Rand, hidden int) *MLP {
	return &MLP{nn.NewLinear(rng, 2, hidden, true), nn.NewLinear(rng, hidden, hidden, true), nn.NewLinear(rng, hidden, 2, true)}
}

// Members implements nn.Module.
func (m *MLP) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "l1", Module: m.L1}, {Name: "l2", Module: m.L2}, {Name: "l3", Module: m.L3}}}
}

// Forward maps points [N,2] to logits [N,2].
func (m *MLP) Forward(x *autograd.Var) *autograd.Var {
	h := autograd.Relu(m.L1.Forward(x))
	h = autograd.Relu(m.L2.Forward(h))
	return m.L3.Forward(h)
}

// coupling is one RealNVP affine coupling layer (Dinh et al., "Density
// estimation using Real NVP", arXiv:1605.08803) on 2-D points: the
// coordinate Cond passes through and conditions a scale and shift of the
// other, u_b = (x_b − t(x_a))·exp(−s(x_a)) with s = sMax·tanh(·) bounded
// for stable training.
type coupling struct {
	Cond       int // 0 or 1: the coordinate that conditions the other
	L1, L2, L3 *nn.Linear
}

// sMax bounds the log-scale of a coupling.
const sMax = 2

func newCoupling(rng *rand.Rand, cond, hidden int) *coupling {
	c := &coupling{Cond: cond, L1: nn.NewLinear(rng, 1, hidden, true), L2: nn.NewLinear(rng, hidden, hidden, true), L3: nn.NewLinear(rng, hidden, 2, true)}
	// Start as the identity: zero output layer gives s = t = 0.
	c.L3.Weight.Value.Zero()
	c.L3.Bias.Value.Zero()
	return c
}

func (c *coupling) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "l1", Module: c.L1}, {Name: "l2", Module: c.L2}, {Name: "l3", Module: c.L3}}}
}

// st returns the log-scale and shift [N,1] conditioned on a [N,1].
func (c *coupling) st(a *autograd.Var) (s, t *autograd.Var) {
	h := autograd.Tanh(c.L1.Forward(a))
	h = autograd.Tanh(c.L2.Forward(h))
	parts := splitCols(c.L3.Forward(h))
	return autograd.Scale(autograd.Tanh(parts[0]), sMax), parts[1]
}

// forward is the density direction x → u; it returns u and s (the
// per-point log-determinant is −s).
func (c *coupling) forward(x *autograd.Var) (u, s *autograd.Var) {
	cols := splitCols(x)
	a, b := cols[c.Cond], cols[1-c.Cond]
	s, t := c.st(a)
	b = autograd.Mul(autograd.Sub(b, t), autograd.Exp(autograd.Neg(s)))
	return joinCols(a, b, c.Cond), s
}

// inverse is the sampling direction u → x.
func (c *coupling) inverse(u *autograd.Var) *autograd.Var {
	cols := splitCols(u)
	a, b := cols[c.Cond], cols[1-c.Cond]
	s, t := c.st(a)
	b = autograd.Add(autograd.Mul(b, autograd.Exp(s)), t)
	return joinCols(a, b, c.Cond)
}

// splitCols cuts [N,2] into two [N,1] columns.
func splitCols(x *autograd.Var) []*autograd.Var {
	n := x.Value.Shape[0]
	p := autograd.Split(autograd.Reshape(x, n, 2, 1, 1), 1, 1)
	return []*autograd.Var{autograd.Reshape(p[0], n, 1), autograd.Reshape(p[1], n, 1)}
}

// joinCols puts a (the conditioning column, index cond) and b back together.
func joinCols(a, b *autograd.Var, cond int) *autograd.Var {
	n := a.Value.Shape[0]
	first, second := a, b
	if cond == 1 {
		first, second = b, a
	}
	return autograd.Reshape(autograd.Concat(autograd.Reshape(first, n, 1, 1, 1), autograd.Reshape(second, n, 1, 1, 1)), n, 2)
}

// Flow is a 2-D RealNVP: an elementwise affine layer (learned location and
// log-scale, initialised from the data like ActNorm) followed by couplings
// that alternate the conditioning coordinate. Density: u = f(x) and
// ln p(x) = ln N(u; 0, I) + ln|det ∂f/∂x| (paper eq. 1); sampling inverts f.
type Flow struct {
	Loc, LogScale *autograd.Var // [2] each
	Layers        []*coupling
}

// NewFlow returns a flow with the given number of couplings.
func NewFlow(rng *rand.Rand, couplings, hidden int) *Flow {
	f := &Flow{Loc: autograd.Param(tensor.New(2), ""), LogScale: autograd.Param(tensor.New(2), "")}
	for i := 0; i < couplings; i++ {
		f.Layers = append(f.Layers, newCoupling(rng, i%2, hidden))
	}
	return f
}

// Members implements nn.Module.
func (f *Flow) Members() nn.Members {
	m := nn.Members{Params: []nn.NamedVar{{Name: "loc", Var: f.Loc}, {Name: "log_scale", Var: f.LogScale}}}
	for i, l := range f.Layers {
		m.Children = append(m.Children, nn.NamedModule{Name: fmt.Sprintf("coupling%d", i), Module: l})
	}
	return m
}

// InitFromData sets the affine layer to the data's mean and standard
// deviation per coordinate, so training starts with standardised inputs.
func (f *Flow) InitFromData(pts [][2]float32) {
	for d := 0; d < 2; d++ {
		var s, s2 float64
		for _, p := range pts {
			s += float64(p[d])
			s2 += float64(p[d]) * float64(p[d])
		}
		n := float64(len(pts))
		mean := s / n
		sd := math.Sqrt(math.Max(s2/n-mean*mean, 1e-6))
		f.Loc.Value.Data[d] = float32(mean)
		f.LogScale.Value.Data[d] = float32(math.Log(sd))
	}
}

// encode runs the density direction: it returns u = f(x) and the
// per-coupling log-scales s_l (each [N,1]); ln|det ∂f/∂x| per point is
// −Σ log_scale − Σ_l s_l.
func (f *Flow) encode(x *autograd.Var) (u *autograd.Var, ss []*autograd.Var) {
	u = autograd.AddChannel(x, autograd.Neg(f.Loc))
	u = autograd.MulChannel(u, autograd.Exp(autograd.Neg(f.LogScale)))
	for _, l := range f.Layers {
		var s *autograd.Var
		u, s = l.forward(u)
		ss = append(ss, s)
	}
	return u, ss
}

// NLL returns the mean negative log-likelihood in nats of points x [N,2]:
// −ln p(x) = ½‖u‖² + ln 2π + Σ log_scale + Σ_l s_l(x) (paper eq. 1).
func (f *Flow) NLL(x *autograd.Var) *autograd.Var {
	n := x.Value.Shape[0]
	u, ss := f.encode(x)
	total := autograd.Scale(autograd.Sum(f.LogScale), float32(n))
	for _, s := range ss {
		total = autograd.Add(total, autograd.Sum(s))
	}
	total = autograd.Add(total, autograd.Scale(autograd.Sum(autograd.Square(u)), 0.5))
	return autograd.AddScalar(autograd.Scale(total, 1/float32(n)), float32(math.Log(2*math.Pi)))
}

// LogProb returns ln p(x) for every point, without recording a graph.
func (f *Flow) LogProb(pts [][2]float32) []float64 {
	defer autograd.NoGrad()()
	x := tensor.New(len(pts), 2)
	for i, p := range pts {
		x.Data[2*i], x.Data[2*i+1] = p[0], p[1]
	}
	u, ss := f.encode(autograd.Const(x))
	base := -float64(f.LogScale.Value.Data[0]) - float64(f.LogScale.Value.Data[1]) - math.Log(2*math.Pi)
	out := make([]float64, len(pts))
	for i := range out {
		a, b := float64(u.Value.Data[2*i]), float64(u.Value.Data[2*i+1])
		lp := base - 0.5*(a*a+b*b)
		for _, s := range ss {
			lp -= float64(s.Value.Data[i])
		}
		out[i] = lp
	}
	return out
}

// Encode maps points to latents u = f(x) (the inverse of Sample).
func (f *Flow) Encode(pts [][2]float32) [][2]float32 {
	defer autograd.NoGrad()()
	x := tensor.New(len(pts), 2)
	for i, p := range pts {
		x.Data[2*i], x.Data[2*i+1] = p[0], p[1]
	}
	u, _ := f.encode(autograd.Const(x))
	out := make([][2]float32, len(pts))
	for i := range out {
		out[i] = [2]float32{u.Value.Data[2*i], u.Value.Data[2*i+1]}
	}
	return out
}

// Sample maps latents z [N,2] to points: x = f⁻¹(z), differentiable with
// respect to the flow's parameters.
func (f *Flow) Sample(z *autograd.Var) *autograd.Var {
	x := z
	for i := len(f.Layers) - 1; i >= 0; i-- {
		x = f.Layers[i].inverse(x)
	}
	x = autograd.MulChannel(x, autograd.Exp(f.LogScale))
	return autograd.AddChannel(x, f.Loc)
}

// JSToUniform returns the mean over rows of JS(U ‖ softmax(logits)) for
// logits [N,K] (paper eq. 6), built from differentiable ops:
//
//	JS = ½ Σ_k u_k ln(u_k/m_k) + ½ Σ_k p_k ln(p_k/m_k),  m = (u + p)/2, u_k = 1/K.
func JSToUniform(logits *autograd.Var) *autograd.Var {
	n, k := logits.Value.Shape[0], logits.Value.Shape[1]
	logp := autograd.LogSoftmaxChannels(logits)
	p := autograd.Exp(logp)
	uk := 1 / float32(k)
	logm := autograd.Log(autograd.AddScalar(autograd.Scale(p, 0.5), 0.5*uk))
	// Σ_k [½ p_k ln p_k − ½ (u_k + p_k) ln m_k] + ½ ln(1/K).
	terms := autograd.Sub(autograd.Scale(autograd.Mul(p, logp), 0.5), autograd.Scale(autograd.Mul(autograd.AddScalar(p, uk), logm), 0.5))
	return autograd.AddScalar(autograd.Scale(autograd.Sum(terms), 1/float32(n)), 0.5*float32(math.Log(float64(uk))))
}
