package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// bijection is one invertible layer. forward returns y = f(x) and the
// per-image log|det ∂y/∂x| as [N,1] (nil when it is 0); inverse returns
// f⁻¹(y). Both build autograd graphs.
type bijection interface {
	forward(x *autograd.Var) (y, logdet *autograd.Var)
	inverse(y *autograd.Var) *autograd.Var
	params() []*autograd.Var
	buffers() map[string]*tensor.Tensor
}

// actNorm is Glow's activation normalisation (Kingma & Dhariwal, "Glow",
// arXiv:1807.03039, Sec. 3.1): y = x·exp(logs_c) + bias_c,
// log|det| = H·W·Σ_c logs_c. On its first forward pass it initialises
// itself from the batch so that its output has zero mean and unit variance
// per channel (data-dependent initialisation).
type actNorm struct {
	bias, logs *autograd.Var // [C]
	inited     bool
}

func newActNorm(c int, name string) *actNorm {
	return &actNorm{
		bias: autograd.Param(tensor.New(c), name+".bias"),
		logs: autograd.Param(tensor.New(c), name+".logs"),
	}
}

// actNormEps keeps the initial scale finite on constant channels.
const actNormEps = 1e-6

func (a *actNorm) init(x *tensor.Tensor) {
	n, c, h, w := x.NCHW()
	hw := h * w
	cnt := float64(n * hw)
	for ch := 0; ch < c; ch++ {
		var s, s2 float64
		for i := 0; i < n; i++ {
			for _, v := range x.Data[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
		}
		mean := s / cnt
		std := math.Sqrt(math.Max(s2/cnt-mean*mean, 0))
		logs := -math.Log(std + actNormEps)
		a.logs.Value.Data[ch] = float32(logs)
		a.bias.Value.Data[ch] = float32(-mean * math.Exp(logs))
	}
	a.inited = true
}

func (a *actNorm) forward(x *autograd.Var) (*autograd.Var, *autograd.Var) {
	if !a.inited {
		a.init(x.Value)
	}
	n, _, h, w := x.Value.NCHW()
	y := autograd.AddChannel(autograd.MulChannel(x, autograd.Exp(a.logs)), a.bias)
	return y, broadcastN(autograd.Scale(autograd.Sum(a.logs), float32(h*w)), n)
}

func (a *actNorm) inverse(y *autograd.Var) *autograd.Var {
	return autograd.MulChannel(autograd.AddChannel(y, autograd.Neg(a.bias)), autograd.Exp(autograd.Neg(a.logs)))
}

func (a *actNorm) params() []*autograd.Var            { return []*autograd.Var{a.bias, a.logs} }
func (a *actNorm) buffers() map[string]*tensor.Tensor { return nil }

// invConv is Glow's invertible 1×1 convolution in LU form (Glow Sec. 3.2):
//
//	W = P·L·(U + diag(sign·exp(logs))),  log|det| = H·W·Σ logs,
//
// with P a fixed permutation, L unit lower triangular and U strictly upper
// triangular (both learned through masked full matrices), sign fixed. It is
// initialised from the LU factors of a random orthogonal matrix. The
// inverse applies W⁻¹, computed in float64 from W by triangular solves.
type invConv struct {
	lower, upper, logs *autograd.Var // [C,C], [C,C], [C]
	perm, sign         *tensor.Tensor
	lowerMask          *tensor.Tensor // 1 strictly below the diagonal
	upperMask          *tensor.Tensor // 1 strictly above the diagonal
	name               string
}

func newInvConv(c int, name string, rng *rand.Rand) *invConv {
	w0 := randomOrthogonal(c, rng)
	lu, perm, ok := luDecompose(w0, c)
	if !ok {
		panic("flow: random orthogonal matrix is singular") // cannot happen: orthogonal
	}
	ic := &invConv{
		lower:     autograd.Param(tensor.New(c, c), name+".lower"),
		upper:     autograd.Param(tensor.New(c, c), name+".upper"),
		logs:      autograd.Param(tensor.New(c), name+".logs"),
		perm:      tensor.New(c, c),
		sign:      tensor.New(c),
		lowerMask: tensor.New(c, c),
		upperMask: tensor.New(c, c),
		name:      name,
	}
	for i := 0; i < c; i++ {
		ic.perm.Data[perm[i]*c+i] = 1
		for j := 0; j < c; j++ {
			switch {
			case j < i:
				ic.lower.Value.Data[i*c+j] = float32(lu[i*c+j])
				ic.lowerMask.Data[i*c+j] = 1
			case j > i:
				ic.upper.Value.Data[i*c+j] = float32(lu[i*c+j])
				ic.upperMask.Data[i*c+j] = 1
			default:
				d := lu[i*c+i]
				ic.sign.Data[i] = float32(math.Copysign(1, d))
				ic.logs.Value.Data[i] = float32(math.Log(math.Abs(d)))
			}
		}
	}
	return ic
}

// weight builds W [C,C] from the parameters as an autograd graph.
func (ic *invConv) weight() *autograd.Var {
	c := ic.sign.Len()
	l := autograd.Add(autograd.Mul(ic.lower, autograd.Const(ic.lowerMask)), autograd.Const(eye(c)))
	d := diag(autograd.Mul(autograd.Const(ic.sign), autograd.Exp(ic.logs)))
	u := autograd.Add(autograd.Mul(ic.upper, autograd.Const(ic.upperMask)), d)
	return autograd.MatMul(autograd.Const(ic.perm), autograd.MatMul(l, u))
}

func conv1x1(x, w *autograd.Var) *autograd.Var {
	c := w.Value.Shape[0]
	return autograd.Conv2d(x, autograd.Reshape(w, c, c, 1, 1), nil, tensor.ConvOpts{})
}

func (ic *invConv) forward(x *autograd.Var) (*autograd.Var, *autograd.Var) {
	n, _, h, w := x.Value.NCHW()
	return conv1x1(x, ic.weight()), broadcastN(autograd.Scale(autograd.Sum(ic.logs), float32(h*w)), n)
}

func (ic *invConv) inverse(y *autograd.Var) *autograd.Var {
	return conv1x1(y, matInverse(ic.weight()))
}

func (ic *invConv) params() []*autograd.Var { return []*autograd.Var{ic.lower, ic.upper, ic.logs} }
func (ic *invConv) buffers() map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{ic.name + ".perm": ic.perm, ic.name + ".sign": ic.sign}
}

// swapHalves exchanges the two channel halves [a | b] → [b | a] (RealNVP's
// alternating masks in channel form). Volume preserving: log|det| = 0.
type swapHalves struct{ c int }

func (s swapHalves) forward(x *autograd.Var) (*autograd.Var, *autograd.Var) {
	a := s.c - s.c/2
	p := autograd.Split(x, a, s.c-a)
	return autograd.Concat(p[1], p[0]), nil
}

func (s swapHalves) inverse(y *autograd.Var) *autograd.Var {
	a := s.c - s.c/2
	p := autograd.Split(y, s.c-a, a)
	return autograd.Concat(p[1], p[0])
}

func (s swapHalves) params() []*autograd.Var            { return nil }
func (s swapHalves) buffers() map[string]*tensor.Tensor { return nil }

// convLayer is a parameterised convolution (weight [Co,Ci,K,K], bias [Co]).
type convLayer struct {
	w, b *autograd.Var
	pad  int
}

// newConv initialises like PyTorch's default Conv2d: U(−1/√fan_in, 1/√fan_in)
// for weight and bias; zero leaves both at 0 (the zero-initialised last
// layers that make the flow start at the identity).
func newConv(ci, co, k int, name string, zero bool, rng *rand.Rand) *convLayer {
	w := tensor.New(co, ci, k, k)
	b := tensor.New(co)
	if !zero {
		bound := 1 / math.Sqrt(float64(ci*k*k))
		for i := range w.Data {
			w.Data[i] = float32((rng.Float64()*2 - 1) * bound)
		}
		for i := range b.Data {
			b.Data[i] = float32((rng.Float64()*2 - 1) * bound)
		}
	}
	return &convLayer{w: autograd.Param(w, name+".weight"), b: autograd.Param(b, name+".bias"), pad: k / 2}
}

func (c *convLayer) apply(x *autograd.Var) *autograd.Var {
	return autograd.Conv2d(x, c.w, c.b, tensor.ConvOpts{Pad: c.pad})
}

// couplingNet is conv3×3 → ReLU → conv1×1 → ReLU → conv3×3 (zero init).
// Names follow a torch nn.Sequential: net.0, net.2, net.4.
type couplingNet struct{ c0, c2, c4 *convLayer }

func newCouplingNet(ci, width, co int, name string, rng *rand.Rand) *couplingNet {
	return &couplingNet{
		c0: newConv(ci, width, 3, name+".0", false, rng),
		c2: newConv(width, width, 1, name+".2", false, rng),
		c4: newConv(width, co, 3, name+".4", true, rng),
	}
}

func (n *couplingNet) apply(x *autograd.Var) *autograd.Var {
	return n.c4.apply(autograd.Relu(n.c2.apply(autograd.Relu(n.c0.apply(x)))))
}

func (n *couplingNet) params() []*autograd.Var {
	return []*autograd.Var{n.c0.w, n.c0.b, n.c2.w, n.c2.b, n.c4.w, n.c4.b}
}

// boundedLogScale maps an unconstrained s to 2·tanh(s/2) ∈ (−2, 2): the
// scale stays in (e⁻², e²), which keeps training stable (DenseFlow's choice).
func boundedLogScale(s *autograd.Var) *autograd.Var {
	return autograd.Scale(autograd.Tanh(autograd.Scale(s, 0.5)), 2)
}

// coupling is an affine coupling layer (RealNVP): split x = [x₁ | x₂],
//
//	(t, s) = NN(x₁),  ℓ = 2·tanh(s/2),  y₂ = x₂·exp(ℓ) + t,  y = [x₁ | y₂],
//
// log|det| = Σ ℓ. Because NN's last convolution starts at zero, the layer
// starts as the identity.
type coupling struct {
	c, ca, cb int // channels: total, conditioning (x₁), transformed (x₂)
	net       *couplingNet
}

func newCoupling(c, width int, name string, rng *rand.Rand) *coupling {
	cb := c / 2
	ca := c - cb
	return &coupling{c: c, ca: ca, cb: cb, net: newCouplingNet(ca, width, 2*cb, name+".net", rng)}
}

func (cp *coupling) shiftLogScale(x1 *autograd.Var) (t, l *autograd.Var) {
	h := autograd.Split(cp.net.apply(x1), cp.cb, cp.cb)
	return h[0], boundedLogScale(h[1])
}

func (cp *coupling) forward(x *autograd.Var) (*autograd.Var, *autograd.Var) {
	p := autograd.Split(x, cp.ca, cp.cb)
	t, l := cp.shiftLogScale(p[0])
	y2 := autograd.Add(autograd.Mul(p[1], autograd.Exp(l)), t)
	return autograd.Concat(p[0], y2), sumPerSample(l)
}

func (cp *coupling) inverse(y *autograd.Var) *autograd.Var {
	p := autograd.Split(y, cp.ca, cp.cb)
	t, l := cp.shiftLogScale(p[0])
	x2 := autograd.Mul(autograd.Sub(p[1], t), autograd.Exp(autograd.Neg(l)))
	return autograd.Concat(p[0], x2)
}

func (cp *coupling) params() []*autograd.Var            { return cp.net.params() }
func (cp *coupling) buffers() map[string]*tensor.Tensor { return nil }

// checkChannels panics if x does not have c channels (engine-internal misuse).
func checkChannels(op string, x *autograd.Var, c int) {
	if x.Value.Dims() != 4 || x.Value.Shape[1] != c {
		panic(fmt.Sprintf("flow.%s: want [N,%d,H,W], have %v", op, c, x.Value.Shape))
	}
}
