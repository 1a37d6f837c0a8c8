package flow

import (
	"errors"
	"fmt"
	"sort"
)

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("flow: invalid config")

// ErrShape is wrapped by errors about input sizes (e.g. a sample size that
// is not divisible by the total squeeze factor).
var ErrShape = errors.New("flow: bad shape")

// Kind names a flow family.
type Kind string

const (
	// RealNVP is a multi-scale affine-coupling flow (Dinh et al., "Density
	// estimation using Real NVP", arXiv:1605.08803) with actnorm; channels
	// are mixed by swapping halves, or by a 1×1 convolution (Mixing).
	RealNVP Kind = "realnvp"
	// DenseFlow adds cross-unit coupling: noise conditioned on all previous
	// unit inputs is concatenated before each unit (Grcić et al. 2021).
	DenseFlow Kind = "denseflow"
)

// Mixing layers between couplings.
const (
	MixSwap    = "swap"    // exchange the two channel halves (RealNVP's alternating masks)
	MixConv1x1 = "conv1x1" // LU-parametrised invertible 1×1 convolution (Glow)
)

// Config describes a flow. All fields are stored next to checkpoints
// (config.json) so a model can be rebuilt for sampling.
type Config struct {
	Kind       Kind `json:"kind"`
	InChannels int  `json:"in_channels"` // image channels (3 for RGB)
	// Levels is the number of scales; the total squeeze factor is 2^Levels.
	Levels int `json:"levels"`
	// Units per level. Without cross-unit coupling several units are just
	// more steps; with it, each unit after the first receives noise.
	Units int `json:"units"`
	// StepsPerUnit is the number of actnorm→mixing→coupling steps per unit.
	StepsPerUnit int `json:"steps_per_unit"`
	// Width is the hidden width of the coupling networks
	// (conv3×3 → ReLU → conv1×1 → ReLU → zero-initialised conv3×3).
	Width  int    `json:"width"`
	Mixing string `json:"mixing"`
	// Growth is the number of noise channels each unit u > 0 adds
	// (DenseFlow's growth rate); 0 disables cross-unit coupling.
	Growth int `json:"growth"`
	// NoiseWidth is the hidden width of the networks predicting the noise
	// mean and log-scale (conv3×3 → ReLU → zero-initialised conv1×1).
	NoiseWidth int `json:"noise_width"`
}

// Validate checks that the configuration describes a buildable flow.
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch c.Kind {
	case RealNVP:
		if c.Growth != 0 {
			return bad("realnvp has no cross-unit coupling (growth %d, want 0)", c.Growth)
		}
	case DenseFlow:
		if c.Growth <= 0 || c.Units < 2 {
			return bad("denseflow needs growth > 0 and at least 2 units per level (growth %d, units %d)", c.Growth, c.Units)
		}
		if c.NoiseWidth <= 0 {
			return bad("denseflow needs noise_width > 0 (have %d)", c.NoiseWidth)
		}
	default:
		return bad("unknown kind %q (want %q or %q)", c.Kind, RealNVP, DenseFlow)
	}
	if c.InChannels <= 0 || c.Levels <= 0 || c.Units <= 0 || c.StepsPerUnit <= 0 || c.Width <= 0 {
		return bad("in_channels, levels, units, steps_per_unit and width must be positive (%+v)", c)
	}
	if c.Levels > 6 {
		return bad("levels %d > 6: the squeeze factor 2^levels would exceed any crop we train on", c.Levels)
	}
	if c.Mixing != MixSwap && c.Mixing != MixConv1x1 {
		return bad("mixing %q (want %q or %q)", c.Mixing, MixSwap, MixConv1x1)
	}
	return nil
}

// SqueezeFactor is the total downsampling 2^Levels: sample sizes must be
// divisible by it.
func (c Config) SqueezeFactor() int { return 1 << c.Levels }

// presets are small CPU configurations. The "-tiny" and "-small" pairs of
// the two kinds have (nearly) equal parameter counts so that their bits/dim
// can be compared fairly (see TestPresetParameterPairs for the counts).
var presets = map[string]Config{
	// Tiny pair: 159,348 (realnvp) and 157,590 (denseflow) degrees of
	// freedom (NumParams), for quick CPU runs on
	// 32×32 crops.
	"realnvp-tiny": {Kind: RealNVP, InChannels: 3, Levels: 3, Units: 1, StepsPerUnit: 4,
		Width: 32, Mixing: MixSwap},
	"denseflow-tiny": {Kind: DenseFlow, InChannels: 3, Levels: 3, Units: 2, StepsPerUnit: 2,
		Width: 21, Mixing: MixConv1x1, Growth: 2, NoiseWidth: 16},
	// Small pair: 371,436 and 364,068.
	"realnvp-small": {Kind: RealNVP, InChannels: 3, Levels: 3, Units: 1, StepsPerUnit: 6,
		Width: 48, Mixing: MixSwap},
	"denseflow-small": {Kind: DenseFlow, InChannels: 3, Levels: 3, Units: 3, StepsPerUnit: 2,
		Width: 26, Mixing: MixConv1x1, Growth: 2, NoiseWidth: 16},
}

// Preset returns a named preset configuration.
func Preset(name string) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("%w: unknown preset %q (have %v)", ErrConfig, name, PresetNames())
	}
	return c, nil
}

// PresetNames lists the preset names in sorted order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
