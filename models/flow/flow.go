package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/tensor"
)

// Flow is a multi-scale normalizing flow (see the package documentation).
// Its methods are not safe for concurrent use: data-dependent actnorm
// initialisation mutates parameters on the first forward pass.
type Flow struct {
	cfg    Config
	levels []*level
	params []*autograd.Var
	bufs   map[string]*tensor.Tensor
	// masked counts the entries of the 1×1 convolutions' lower/upper
	// matrices that the triangular masks zero out (not degrees of freedom).
	masked int
	// noiseDraw, if set, replaces the cross-unit noise draws (tests use it
	// to differentiate with respect to the noise).
	noiseDraw noiseSource
}

// unit is a stack of steps on a fixed number of channels.
type unit struct {
	c     int
	steps []bijection
}

func (u *unit) forward(x *autograd.Var) (*autograd.Var, *autograd.Var) {
	var ld *autograd.Var
	for _, s := range u.steps {
		var l *autograd.Var
		x, l = s.forward(x)
		ld = addLD(ld, l)
	}
	return x, ld
}

func (u *unit) inverse(y *autograd.Var) *autograd.Var {
	for i := len(u.steps) - 1; i >= 0; i-- {
		y = u.steps[i].inverse(y)
	}
	return y
}

// addLD adds per-image log-det terms, treating nil as 0.
func addLD(a, b *autograd.Var) *autograd.Var {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return autograd.Add(a, b)
}

// noiseNet predicts the mean and bounded log-scale of the cross-unit noise
// from the concatenated inputs of all previous units:
// conv3×3 → ReLU → zero-initialised conv1×1, so the noise starts as N(0, I).
type noiseNet struct {
	c0, c2 *convLayer
	growth int
}

func newNoiseNet(ci, width, growth int, name string, rng *rand.Rand) *noiseNet {
	return &noiseNet{
		c0:     newConv(ci, width, 3, name+".0", false, rng),
		c2:     newConv(width, 2*growth, 1, name+".2", true, rng),
		growth: growth,
	}
}

func (nn *noiseNet) params() []*autograd.Var {
	return []*autograd.Var{nn.c0.w, nn.c0.b, nn.c2.w, nn.c2.b}
}

// sample returns η̂ = μ(g) + exp(ℓ(g))·ε for a standard-normal draw eps,
// and the per-image log-likelihood correction −log N(ε) + Σ ℓ, i.e.
// −log q(η̂|x) (the entropy term of the augmented-flow lower bound; DenseFlow
// Sec. 3).
func (nn *noiseNet) sample(g *autograd.Var, eps *tensor.Tensor) (*autograd.Var, *autograd.Var) {
	n := g.Value.Shape[0]
	p := autograd.Split(nn.c2.apply(autograd.Relu(nn.c0.apply(g))), nn.growth, nn.growth)
	mu, l := p[0], boundedLogScale(p[1])
	negLogN := tensor.New(n, 1)
	per := len(eps.Data) / n
	for i := 0; i < n; i++ {
		var q float64
		for _, e := range eps.Data[i*per : (i+1)*per] {
			q += float64(e) * float64(e)
		}
		negLogN.Data[i] = float32(0.5*q + float64(per)*logSqrt2Pi)
	}
	eta := autograd.Add(autograd.Mul(autograd.Const(eps), autograd.Exp(l)), mu)
	return eta, autograd.Add(sumPerSample(l), autograd.Const(negLogN))
}

// noiseSource draws a standard-normal tensor of the given shape.
type noiseSource func(shape ...int) *tensor.Tensor

func gaussianSource(rng *rand.Rand) noiseSource {
	return func(shape ...int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64())
		}
		return t
	}
}

// level is one scale: squeeze, units, factor-out.
type level struct {
	inC   int         // channels after the squeeze
	units []*unit     // unit u works on inC + u·growth channels
	noise []*noiseNet // noise[u-1] feeds unit u (empty without cross-unit coupling)
	outC  int         // channels leaving the last unit
	keepC int         // channels passed on to the next level (0 on the last level)
	prior *gaussian   // base density of the factored-out channels
}

func (lv *level) zChannels() int { return lv.outC - lv.keepC }

// New builds a flow with freshly initialised parameters (random orthogonal
// 1×1 convolutions, PyTorch-default convolutions, zero last layers, actnorm
// waiting for data-dependent initialisation) drawn from rng.
func New(cfg Config, rng *rand.Rand) (*Flow, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &Flow{cfg: cfg, bufs: map[string]*tensor.Tensor{}}
	c := cfg.InChannels
	for l := 0; l < cfg.Levels; l++ {
		c *= 4
		lname := "levels." + strconv.Itoa(l)
		lv := &level{inC: c}
		var noiseIn int
		for u := 0; u < cfg.Units; u++ {
			uc := c + u*cfg.Growth
			if u > 0 && cfg.Growth > 0 {
				// The noise of unit u is conditioned on the inputs of units
				// 0..u-1 without their noise: the level input (c channels),
				// then each further unit adds the output of unit u-2
				// (c + (u-2)·growth channels).
				if u == 1 {
					noiseIn = c
				} else {
					noiseIn += c + (u-2)*cfg.Growth
				}
				nn := newNoiseNet(noiseIn, cfg.NoiseWidth, cfg.Growth, lname+".noise."+strconv.Itoa(u-1), rng)
				lv.noise = append(lv.noise, nn)
				f.params = append(f.params, nn.params()...)
			}
			un := &unit{c: uc}
			for s := 0; s < cfg.StepsPerUnit; s++ {
				sname := lname + ".units." + strconv.Itoa(u) + ".steps." + strconv.Itoa(s)
				un.steps = append(un.steps, newActNorm(uc, sname+".actnorm"))
				if cfg.Mixing == MixConv1x1 {
					un.steps = append(un.steps, newInvConv(uc, sname+".invconv", rng))
					f.masked += uc * (uc + 1)
				}
				un.steps = append(un.steps, newCoupling(uc, cfg.Width, sname+".coupling", rng))
				if cfg.Mixing == MixSwap {
					un.steps = append(un.steps, swapHalves{c: uc})
				}
			}
			for _, st := range un.steps {
				f.params = append(f.params, st.params()...)
				for k, b := range st.buffers() {
					f.bufs[k] = b
				}
			}
			lv.units = append(lv.units, un)
		}
		lv.outC = c + (cfg.Units-1)*cfg.Growth
		if l < cfg.Levels-1 {
			lv.keepC = lv.outC / 2
		}
		lv.prior = newGaussian(lv.zChannels(), lname+".prior")
		f.params = append(f.params, lv.prior.params()...)
		f.levels = append(f.levels, lv)
		c = lv.keepC
	}
	return f, nil
}

// Config returns the flow's configuration.
func (f *Flow) Config() Config { return f.cfg }

// Parameters returns the trainable parameters in a stable order; each Var's
// Name is its dotted state-dict key.
func (f *Flow) Parameters() []*autograd.Var { return f.params }

// NumParams counts the degrees of freedom: the trainable scalars minus the
// entries of the 1×1 convolutions' full lower/upper matrices that their
// triangular masks discard (those are stored only for simplicity).
func (f *Flow) NumParams() int {
	n := -f.masked
	for _, p := range f.params {
		n += p.Value.Len()
	}
	return n
}

// forward squeezes x, runs the units (with cross-unit noise before every
// unit u > 0, conditioned on the inputs of units 0..u-1 without their noise)
// and factors out the level's latent z. logp collects the log-dets, the
// noise corrections and log p(z).
func (lv *level) forward(x *autograd.Var, draw noiseSource) (keep, z, logp *autograd.Var) {
	cur := autograd.Squeeze2d(x, 2)
	checkChannels("forward", cur, lv.inC)
	var prev []*autograd.Var // inputs of earlier units, noise excluded
	for u, un := range lv.units {
		if u > 0 && len(lv.noise) > 0 {
			g := prev[0]
			if len(prev) > 1 {
				g = autograd.Concat(prev...)
			}
			n, _, h, w := cur.Value.NCHW()
			eta, delta := lv.noise[u-1].sample(g, draw(n, lv.noise[u-1].growth, h, w))
			logp = addLD(logp, delta)
			prev = append(prev, cur)
			cur = autograd.Concat(cur, eta)
		} else if u == 0 {
			prev = append(prev, cur)
		}
		var ld *autograd.Var
		cur, ld = un.forward(cur)
		logp = addLD(logp, ld)
	}
	if lv.keepC > 0 {
		p := autograd.Split(cur, lv.keepC, lv.zChannels())
		keep, z = p[0], p[1]
	} else {
		z = cur
	}
	return keep, z, addLD(logp, lv.prior.logProb(z))
}

func (lv *level) inverse(keep, z *autograd.Var) *autograd.Var {
	cur := z
	if keep != nil {
		cur = autograd.Concat(keep, z)
	}
	for u := len(lv.units) - 1; u >= 0; u-- {
		cur = lv.units[u].inverse(cur)
		if u > 0 && len(lv.noise) > 0 {
			// Drop the noise channels that were concatenated before unit u.
			g := lv.noise[u-1].growth
			cur = autograd.Split(cur, lv.units[u].c-g, g)[0]
		}
	}
	return autograd.Unsqueeze2d(cur, 2)
}

// checkInput validates an image batch against the flow.
func (f *Flow) checkInput(x *tensor.Tensor) error {
	if x.Dims() != 4 || x.Shape[1] != f.cfg.InChannels {
		return fmt.Errorf("%w: want [N,%d,H,W] images, have %v", ErrShape, f.cfg.InChannels, x.Shape)
	}
	k := f.cfg.SqueezeFactor()
	if x.Shape[0] == 0 || x.Shape[2]%k != 0 || x.Shape[3]%k != 0 || x.Shape[2] == 0 || x.Shape[3] == 0 {
		return fmt.Errorf("%w: image size %dx%d must be positive and divisible by the squeeze factor %d", ErrShape, x.Shape[2], x.Shape[3], k)
	}
	return nil
}

// Forward maps x ∈ [-0.5, 0.5]^{N×C×H×W} to its latents (one per level,
// coarsest last) and returns the per-image log-likelihood log p(x) as [N,1]
// (for DenseFlow the lower bound, with one noise draw from rng).
func (f *Flow) Forward(x *autograd.Var, rng *rand.Rand) (zs []*autograd.Var, logp *autograd.Var, err error) {
	if err := f.checkInput(x.Value); err != nil {
		return nil, nil, err
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(0, 0))
	}
	draw := f.noiseDraw
	if draw == nil {
		draw = gaussianSource(rng)
	}
	cur := x
	for _, lv := range f.levels {
		var z, lp *autograd.Var
		cur, z, lp = lv.forward(cur, draw)
		zs = append(zs, z)
		logp = addLD(logp, lp)
	}
	return zs, logp, nil
}

// LogProb returns log p(x) per image as an [N] Var (natural log, density of
// the continuous image in [-0.5, 0.5]^D; Eq. 1 of the paper). For the
// DenseFlow kind it is a single-sample estimate of the variational lower
// bound, with noise drawn from rng (nil: a fixed seed).
func (f *Flow) LogProb(x *autograd.Var, rng *rand.Rand) (*autograd.Var, error) {
	_, lp, err := f.Forward(x, rng)
	if err != nil {
		return nil, err
	}
	return autograd.Reshape(lp, lp.Value.Shape[0]), nil
}

// Inverse maps latents (as returned by Forward) back to images: x = f⁻¹(z).
// The result is an autograd graph over the flow's parameters and zs.
func (f *Flow) Inverse(zs []*autograd.Var) (*autograd.Var, error) {
	if len(zs) != len(f.levels) {
		return nil, fmt.Errorf("%w: %d latents for %d levels", ErrShape, len(zs), len(f.levels))
	}
	var cur *autograd.Var
	for l := len(f.levels) - 1; l >= 0; l-- {
		lv := f.levels[l]
		z := zs[l]
		if z.Value.Dims() != 4 || z.Value.Shape[1] != lv.zChannels() {
			return nil, fmt.Errorf("%w: latent %d has shape %v, want %d channels", ErrShape, l, z.Value.Shape, lv.zChannels())
		}
		if cur != nil && (cur.Value.Shape[0] != z.Value.Shape[0] || !tensor.ShapeEqual(cur.Value.Shape[2:], z.Value.Shape[2:])) {
			return nil, fmt.Errorf("%w: latent %d is %v but the level above produced %v", ErrShape, l, z.Value.Shape, cur.Value.Shape)
		}
		cur = lv.inverse(cur, z)
	}
	return cur, nil
}

// LatentShapes returns the shapes of the per-level latents for n images of
// size h×w.
func (f *Flow) LatentShapes(n, h, w int) ([][]int, error) {
	k := f.cfg.SqueezeFactor()
	if n <= 0 || h <= 0 || w <= 0 || h%k != 0 || w%k != 0 {
		return nil, fmt.Errorf("%w: sample size %dx%d (n=%d) must be positive and divisible by the squeeze factor %d", ErrShape, h, w, n, k)
	}
	shapes := make([][]int, len(f.levels))
	for l, lv := range f.levels {
		s := 2 << l
		shapes[l] = []int{n, lv.zChannels(), h / s, w / s}
	}
	return shapes, nil
}

// Sample draws n images of size h×w: z = μ + T·σ·ε at every level, then
// x = f⁻¹(z) (paper Eq. 2). temperature T ≤ 1 trades diversity for
// fidelity. The result, in [-0.5, 0.5] up to the flow's error, is
// differentiable with respect to the flow's parameters; call inside
// autograd.NoGrad when no gradient is needed.
func (f *Flow) Sample(n, h, w int, temperature float32, rng *rand.Rand) (*autograd.Var, error) {
	shapes, err := f.LatentShapes(n, h, w)
	if err != nil {
		return nil, err
	}
	if !(temperature > 0) || math.IsInf(float64(temperature), 0) {
		return nil, fmt.Errorf("%w: temperature %v must be positive", ErrConfig, temperature)
	}
	draw := gaussianSource(rng)
	zs := make([]*autograd.Var, len(shapes))
	for l, s := range shapes {
		zs[l] = f.levels[l].prior.sample(draw(s...), temperature)
	}
	return f.Inverse(zs)
}
