package gan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/internal/atomicfile"
	"github.com/nflowjs/nflowjs/models/gan"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
	flowtrain "github.com/nflowjs/nflowjs/train/flow"
)

// Files of a run directory.
const (
	ModelFile   = "gan.safetensors"
	LogFile     = "log.jsonl"
	SamplesFile = "samples.png"
)

// Defaults of Config.
const (
	DefaultSteps = 2000
	DefaultBatch = 32
	DefaultCrop  = 32
	DefaultLR    = 2e-4 // DCGAN's, with β₁ = 0.5
)

// ErrConfig wraps invalid configurations.
var ErrConfig = errors.New("train gan: invalid config")

// Config configures Run.
type Config struct {
	Data, Out   string
	GAN         gan.Config
	Steps       int
	Batch       int
	Crop        int // square crop side, a multiple of gan.Stride
	LR          float64
	NoFlip      bool
	Seed        uint64
	LogEvery    int
	SampleCount int // images in samples.png
}

// DefaultConfig returns the defaults for a dataset and run directory.
func DefaultConfig(data, out string) Config {
	return Config{Data: data, Out: out, GAN: gan.DefaultConfig(), Steps: DefaultSteps, Batch: DefaultBatch, Crop: DefaultCrop,
		LR: DefaultLR, Seed: 1, LogEvery: 100, SampleCount: 64}
}

// Validate checks the numbers.
func (c Config) Validate() error {
	switch {
	case c.Data == "" || c.Out == "":
		return fmt.Errorf("%w: data and out are required", ErrConfig)
	case c.Steps < 1 || c.Batch < 1 || c.LogEvery < 1:
		return fmt.Errorf("%w: steps %d, batch %d and log interval %d must be positive", ErrConfig, c.Steps, c.Batch, c.LogEvery)
	case c.Crop < gan.Stride || c.Crop%gan.Stride != 0:
		return fmt.Errorf("%w: crop %d must be a positive multiple of %d", ErrConfig, c.Crop, gan.Stride)
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("%w: learning rate %v", ErrConfig, c.LR)
	}
	return c.GAN.Validate()
}

// Result summarises a run.
type Result struct {
	Steps        int
	LossD, LossG float64 // means over the last log interval
	RealProb     float64 // mean sigmoid(D) on real crops over the last interval
}

// Run trains a GAN on the train split's random inlier crops and writes the
// run directory.
func Run(ctx context.Context, cfg Config, stdout io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	ds, err := dataset.Open(cfg.Data)
	if err != nil {
		return nil, err
	}
	split, err := ds.Split(dataset.SplitTrain)
	if err != nil {
		return nil, err
	}
	src, err := flowtrain.NewCropSource(split, cfg.Crop)
	if err != nil {
		return nil, fmt.Errorf("train gan: %w", err)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6a7))
	g, err := gan.New(cfg.GAN, rand.New(rand.NewPCG(cfg.Seed, 0x6a8)))
	if err != nil {
		return nil, err
	}
	adam := optim.AdamConfig{Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}
	optG, err := optim.NewAdam([]optim.ParamGroup{optim.Group(cfg.LR, nn.Parameters(g.G)...)}, adam)
	if err != nil {
		return nil, err
	}
	optD, err := optim.NewAdam([]optim.ParamGroup{optim.Group(cfg.LR, nn.Parameters(g.D)...)}, adam)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(cfg.Out, LogFile))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	enc := json.NewEncoder(logf)
	res := &Result{}
	var sumD, sumG, sumReal float64
	n := 0
	start := time.Now()
	for step := 1; step <= cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bytes, err := src.Batch(cfg.Batch, !cfg.NoFlip, rng)
		if err != nil {
			return nil, fmt.Errorf("train gan: %w", err)
		}
		lossD, lossG, real, err := Step(g, optD, optG, FromBytes(bytes), rng)
		if err != nil {
			return nil, fmt.Errorf("train gan: step %d: %w", step, err)
		}
		sumD, sumG, sumReal, n = sumD+lossD, sumG+lossG, sumReal+real, n+1
		if step%cfg.LogEvery == 0 || step == cfg.Steps {
			res.LossD, res.LossG, res.RealProb = sumD/float64(n), sumG/float64(n), sumReal/float64(n)
			row := map[string]any{"step": step, "loss_d": res.LossD, "loss_g": res.LossG, "real_prob": res.RealProb,
				"sec": time.Since(start).Seconds()}
			if err := enc.Encode(row); err != nil {
				return nil, err
			}
			fmt.Fprintf(stdout, "step %d  loss_d %.4f  loss_g %.4f  D(real) %.3f  %.1f s\n", step, res.LossD, res.LossG, res.RealProb, time.Since(start).Seconds())
			sumD, sumG, sumReal, n = 0, 0, 0, 0
		}
		res.Steps = step
	}
	if err := g.Save(filepath.Join(cfg.Out, ModelFile), map[string]string{"crop": fmt.Sprint(cfg.Crop), "steps": fmt.Sprint(cfg.Steps)}); err != nil {
		return nil, err
	}
	nn.Eval(g)
	grid, err := flowtrain.Grid(func(m int) (*tensor.Tensor, error) {
		x, err := g.Sample(m, cfg.Crop, cfg.Crop, rng)
		if err != nil {
			return nil, err
		}
		return x.Value, nil
	}, cfg.SampleCount, cfg.Crop, cfg.Crop, max(1, 96/cfg.Crop))
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(filepath.Join(cfg.Out, SamplesFile), func(w io.Writer) error { return dataset.EncodePNG(w, grid) }); err != nil {
		return nil, err
	}
	return res, nil
}

// FromBytes maps 8-bit values (as float32) to the GAN's space: the bin
// centre (v + ½)/256 − ½, as the flow sees dequantised pixels on average.
func FromBytes(x *tensor.Tensor) *tensor.Tensor {
	out := tensor.NewLike(x)
	for i, v := range x.Data {
		out.Data[i] = (v+0.5)/256 - 0.5
	}
	return out
}

// Step is one adversarial update of g on real images (GAN space): the
// discriminator on real and generated images, then the generator against
// the updated discriminator (non-saturating loss). It returns both losses
// and the discriminator's mean probability of "real" on the real batch.
func Step(g *gan.GAN, optD, optG optim.Optimizer, real *tensor.Tensor, rng *rand.Rand) (lossD, lossG, realProb float64, err error) {
	n, _, h, w := real.NCHW()
	z, err := g.Latents(n, h, w, rng)
	if err != nil {
		return 0, 0, 0, err
	}
	// Discriminator: softplus(−D(real)) + softplus(D(fake)).
	optD.ZeroGrad()
	var fake *tensor.Tensor
	func() {
		defer autograd.NoGrad()()
		fake = g.Generate(autograd.Const(z)).Value
	}()
	dReal := g.Discriminate(autograd.Const(real))
	dFake := g.Discriminate(autograd.Const(fake))
	ld := autograd.Add(autograd.Mean(autograd.Softplus(autograd.Neg(dReal))), autograd.Mean(autograd.Softplus(dFake)))
	lossD = float64(ld.Value.Data[0])
	for _, v := range dReal.Value.Data {
		realProb += 1 / (1 + math.Exp(-float64(v)))
	}
	realProb /= float64(len(dReal.Value.Data))
	if math.IsNaN(lossD) || math.IsInf(lossD, 0) {
		return 0, 0, 0, fmt.Errorf("discriminator loss %v", lossD)
	}
	ld.Backward()
	optD.Step()
	// Generator: softplus(−D(G(z))); the discriminator's gradients from
	// this pass are dropped by the next optD.ZeroGrad.
	optG.ZeroGrad()
	lg := autograd.Mean(autograd.Softplus(autograd.Neg(g.Discriminate(g.Generate(autograd.Const(z))))))
	lossG = float64(lg.Value.Data[0])
	if math.IsNaN(lossG) || math.IsInf(lossG, 0) {
		return 0, 0, 0, fmt.Errorf("generator loss %v", lossG)
	}
	lg.Backward()
	optG.Step()
	return lossD, lossG, realProb, nil
}
