package gan

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Stride is the generator's upsampling factor (three stride-2 transposed
// convolutions) and the discriminator's downsampling: image sides must be
// multiples of it.
const Stride = 8

// ErrConfig wraps invalid configurations and checkpoints.
var ErrConfig = errors.New("gan: invalid config")

// Config sizes the networks.
type Config struct {
	// Latent is the channel count of the latent grid z [N,Latent,h/8,w/8].
	Latent int `json:"latent"`
	// Width is the generator's last and the discriminator's first width;
	// the others are 2× and 4× (DCGAN's doubling).
	Width int `json:"width"`
}

// DefaultConfig is a ~0.4 M-parameter pair for 32×32 crops.
func DefaultConfig() Config { return Config{Latent: 32, Width: 32} }

// Validate checks the sizes.
func (c Config) Validate() error {
	if c.Latent < 1 || c.Latent > 1024 || c.Width < 1 || c.Width > 512 {
		return fmt.Errorf("%w: latent %d and width %d must be in [1, 1024] and [1, 512]", ErrConfig, c.Latent, c.Width)
	}
	return nil
}

// GAN is a generator and its discriminator.
type GAN struct {
	cfg Config
	G   *nn.Sequential
	D   *nn.Sequential
}

// New builds both networks with DCGAN's initialisation: convolution
// weights N(0, 0.02), batch-norm scales N(1, 0.02).
func New(cfg Config, rng *rand.Rand) (*GAN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("%w: nil random generator", ErrConfig)
	}
	w, l := cfg.Width, cfg.Latent
	up := func(in, out int) []nn.Layer {
		return []nn.Layer{nn.NewConvTranspose2d(rng, in, out, 4, 2, 1, 0, false, 1), nn.NewBatchNorm2d(out), nn.ReLU{}}
	}
	g := nn.NewSequential(append(append(append(up(l, 4*w), up(4*w, 2*w)...), up(2*w, w)...),
		nn.NewConv2d(rng, w, 3, 3, 1, 1, 1, true), nn.Tanh{})...)
	down := func(in, out int, bn bool) []nn.Layer {
		ls := []nn.Layer{nn.NewConv2d(rng, in, out, 4, 2, 1, 1, !bn)}
		if bn {
			ls = append(ls, nn.NewBatchNorm2d(out))
		}
		return append(ls, nn.LeakyReLU{Slope: 0.2})
	}
	d := nn.NewSequential(append(append(append(down(3, w, false), down(w, 2*w, true)...), down(2*w, 4*w, true)...),
		nn.NewConv2d(rng, 4*w, 1, 1, 1, 0, 1, true))...)
	for _, m := range []*nn.Sequential{g, d} {
		for _, l := range m.Layers {
			switch l := l.(type) {
			case *nn.Conv2d:
				nn.Normal(rng, l.Weight.Value, 0, 0.02)
				if l.Bias != nil {
					l.Bias.Value.Zero()
				}
			case *nn.ConvTranspose2d:
				nn.Normal(rng, l.Weight.Value, 0, 0.02)
			case *nn.BatchNorm2d:
				nn.Normal(rng, l.Weight.Value, 1, 0.02)
				l.Bias.Value.Zero()
			}
		}
	}
	gn := &GAN{cfg: cfg, G: g, D: d}
	nn.Train(gn)
	return gn, nil
}

// Config returns the configuration.
func (g *GAN) Config() Config { return g.cfg }

// Members lists the two networks, "generator" and "discriminator".
func (g *GAN) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "generator", Module: g.G}, {Name: "discriminator", Module: g.D}}}
}

// Latents draws z ~ N(0, 1) for n images of h×w.
func (g *GAN) Latents(n, h, w int, rng *rand.Rand) (*tensor.Tensor, error) {
	if n < 1 || h < Stride || w < Stride || h%Stride != 0 || w%Stride != 0 {
		return nil, fmt.Errorf("%w: %d samples of %dx%d (sides must be positive multiples of %d)", ErrConfig, n, h, w, Stride)
	}
	z := tensor.New(n, g.cfg.Latent, h/Stride, w/Stride)
	for i := range z.Data {
		z.Data[i] = float32(rng.NormFloat64())
	}
	return z, nil
}

// Generate maps latents to images in [-0.5, 0.5] (½·tanh), differentiably
// with respect to the generator's parameters.
func (g *GAN) Generate(z *autograd.Var) *autograd.Var {
	return autograd.Scale(g.G.Forward(z), 0.5)
}

// Sample draws n images of h×w (multiples of Stride) in [-0.5, 0.5].
func (g *GAN) Sample(n, h, w int, rng *rand.Rand) (*autograd.Var, error) {
	z, err := g.Latents(n, h, w, rng)
	if err != nil {
		return nil, err
	}
	return g.Generate(autograd.Const(z)), nil
}

// Discriminate returns the discriminator's patch logits [N,1,h/8,w/8]
// (positive = real) for images x in [-0.5, 0.5].
func (g *GAN) Discriminate(x *autograd.Var) *autograd.Var { return g.D.Forward(x) }

// MetaConfig is the safetensors metadata key of the Config (JSON).
const MetaConfig = "gan.config"

// Save writes both networks and the configuration atomically.
func (g *GAN) Save(path string, meta map[string]string) error {
	raw, err := json.Marshal(g.cfg)
	if err != nil {
		return err
	}
	m := map[string]string{MetaConfig: string(raw)}
	for k, v := range meta {
		if k != MetaConfig {
			m[k] = v
		}
	}
	return checkpoint.Save(path, nn.StateDict(g), m)
}

// Load rebuilds a GAN written by Save, in training mode, with the file's
// metadata.
func Load(path string) (*GAN, map[string]string, error) {
	sd, meta, err := checkpoint.Load(path)
	if err != nil {
		return nil, nil, err
	}
	var cfg Config
	if err := json.Unmarshal([]byte(meta[MetaConfig]), &cfg); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: metadata %q: %v", ErrConfig, path, MetaConfig, err)
	}
	g, err := New(cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := nn.LoadStateDict(g, sd); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrConfig, path, err)
	}
	return g, meta, nil
}
