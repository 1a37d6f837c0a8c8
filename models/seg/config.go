package seg

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/nflowjs/nflowjs/models/tv"
)

// Errors returned by this package wrap one of these sentinels, so callers
// can branch with errors.Is and still print a message naming the file.
var (
	// ErrConfig: a Config (or the config stored in a bundle) is invalid.
	ErrConfig = errors.New("seg: invalid config")
	// ErrBundle: a bundle directory is missing a file or holds an invalid
	// one (unparseable model.json, weights that do not fit the config, ...).
	ErrBundle = errors.New("seg: invalid bundle")
	// ErrInput: an image or feature tensor passed to a tensor-level helper
	// has the wrong shape.
	ErrInput = errors.New("seg: invalid input")
)

// Config describes a ladder-style DenseNet segmentation network (LDN,
// Krešo et al., "Efficient Ladder-Style DenseNets for Semantic
// Segmentation of Large Images", IEEE T-ITS 2020; the NFlowJS paper's
// LDN-121, section 5). Start from PresetConfig and adjust.
type Config struct {
	// Arch is "" for the ladder DenseNet this Config describes, or an
	// imported architecture of package models/tv (torchvision's
	// fcn_resnet50, deeplabv3_resnet50, deeplabv3_resnet101), which only
	// NumClasses further configures.
	Arch string `json:"arch,omitempty"`
	// Preset names the preset the config was derived from ("" if custom).
	Preset string `json:"preset,omitempty"`
	// Stem is "" for LDN's stem (two stride-2 3×3 conv-BN-ReLU) or
	// "densenet" for DenseNet's ImageNet stem (7×7 stride-2 conv-BN-ReLU,
	// 3×3 stride-2 max-pool), whose weights torchvision's densenet121
	// provides (LDN-121, preset "ldn121").
	Stem string `json:"stem,omitempty"`
	// NumClasses is the number of inlier classes K (logit channels).
	NumClasses int `json:"num_classes"`
	// StemWidth is the number of channels after the two stride-2 3×3 stem
	// convolutions (1/4 resolution, where the first dense block runs).
	StemWidth int `json:"stem_width"`
	// Growth is the DenseNet growth rate k: channels each dense layer adds
	// (LDN-121: 32).
	Growth int `json:"growth"`
	// BlockLayers lists the dense layers of each block; block i runs at
	// 1/(4·2^i) of the input resolution (LDN-121: 6, 12, 24, 16). The
	// network's output stride is 4·2^(len−1).
	BlockLayers []int `json:"block_layers"`
	// Bottleneck is the DenseNet-BC bottleneck factor: each dense layer
	// first projects to Bottleneck·Growth channels with a 1×1 convolution
	// (DenseNet-BC: 4). 0 gives plain BN-ReLU-conv3×3 layers.
	Bottleneck int `json:"bottleneck"`
	// Compression θ of the transitions: a transition keeps
	// floor(θ·channels) channels (DenseNet-BC: 0.5).
	Compression float64 `json:"compression"`
	// SPPWidth is the width of the spatial pyramid pooling context module
	// at the end of the encoder; SPPGrids are its pooling grid heights
	// (widths follow the feature map's aspect ratio).
	SPPWidth int   `json:"spp_width"`
	SPPGrids []int `json:"spp_grids"`
	// DecoderWidth is the width of the ladder upsampling path and of the
	// pre-logit features (LDN-121: 256).
	DecoderWidth int `json:"decoder_width"`
	// OutputStride is the resolution of the pre-logit features and
	// logits: 4 (LDN's 1/4; 0 means 4, the layout of bundles written
	// before the field existed) or 2, which adds a ladder level at 1/2
	// resolution fed by the stem's first convolution, FineWidth wide.
	// Small objects and thin structures lose their pixels at 1/4: on
	// fashion-ood (28-px items at 96 px) stride 2 is worth several mIoU
	// points and sharper anomaly maps (docs/results.md).
	OutputStride int `json:"output_stride,omitempty"`
	// FineWidth is the width of the 1/2-resolution level and hence of the
	// pre-logit features when OutputStride is 2 (0: DecoderWidth/2). The
	// coarser decoder is projected to it (BN-ReLU-conv1×1) before the
	// upsampling, so the 3×3 blend at 1/2 stays cheap.
	FineWidth int `json:"fine_width,omitempty"`
	// Dropout is the drop probability of the element-wise dropout applied
	// to the pre-logit features (0 = none). It is active in training mode
	// and, for Monte-Carlo dropout, in StochasticLogits.
	Dropout float32 `json:"dropout"`
	// Head is "" for K logits, or HeadUNO for K+1: the extra, last
	// channel is a "negative" class trained on pasted negatives (UNO,
	// Delić, Grcić & Šegvić, BMVC 2024). Forward, Logits and NativeLogits
	// still return the K inlier logits, so that argmax, mIoU and every
	// logit score see the closed-set classifier; ForwardAll, AllLogits and
	// NativeAllLogits return all Outputs() channels (the uno score's
	// input).
	Head string `json:"head,omitempty"`
}

// HeadUNO is Config.Head of a model with a (K+1)-th negative class.
const HeadUNO = "uno"

// Outputs is the number of output channels of the classifier: NumClasses,
// plus one for the negative class of a UNO head.
func (c Config) Outputs() int {
	if c.Head == HeadUNO {
		return c.NumClasses + 1
	}
	return c.NumClasses
}

// presets are the named configurations. Param counts and FLOPs are listed
// in doc.go (measured with NumParams and FLOPs for 13 classes). All of them
// predict at 1/2 resolution (OutputStride 2): tiny at 1/4 lost small
// objects — on fashion-ood (28-px items at 96 px) test mIoU went 66.7 →
// 68.0 and on road 58.5 → 60.4 with the fine level; aerial's large regions
// went 49.2 → 47.4 (one seed each; docs/results.md).
var presets = map[string]Config{
	// tiny trains on 2 CPU cores in minutes on 128×256 images.
	"tiny": {StemWidth: 24, Growth: 12, BlockLayers: []int{2, 3, 4, 3}, Bottleneck: 0, Compression: 0.5,
		SPPWidth: 48, SPPGrids: []int{1, 2, 4}, DecoderWidth: 48, OutputStride: 2, Dropout: 0.1},
	// small adds bottlenecks and depth.
	"small": {StemWidth: 32, Growth: 16, BlockLayers: []int{3, 4, 6, 4}, Bottleneck: 4, Compression: 0.5,
		SPPWidth: 64, SPPGrids: []int{1, 2, 4}, DecoderWidth: 96, OutputStride: 2, Dropout: 0.1},
	// ldn121 is the paper's LDN-121: DenseNet-121's encoder (stem, 6, 12,
	// 24, 16 layers, growth 32, bottleneck 4), whose ImageNet weights
	// `nflowjs import torch --arch ldn121` loads from torchvision's
	// densenet121, and a 256-wide ladder decoder.
	"ldn121": {Stem: StemDenseNet, StemWidth: 64, Growth: 32, BlockLayers: []int{6, 12, 24, 16}, Bottleneck: 4, Compression: 0.5,
		SPPWidth: 128, SPPGrids: []int{1, 2, 4, 8}, DecoderWidth: 256, OutputStride: 2, Dropout: 0.1},
	// base has LDN-121's block layout (DenseNet-121: 6, 12, 24, 16 layers,
	// growth 32, bottleneck 4) with a narrower decoder.
	"base": {StemWidth: 64, Growth: 32, BlockLayers: []int{6, 12, 24, 16}, Bottleneck: 4, Compression: 0.5,
		SPPWidth: 128, SPPGrids: []int{1, 2, 4, 8}, DecoderWidth: 128, OutputStride: 2, Dropout: 0.1},
}

// Presets lists the preset names, smallest first.
func Presets() []string { return []string{"tiny", "small", "base", "ldn121"} }

// StemDenseNet is Config.Stem for DenseNet's ImageNet stem.
const StemDenseNet = "densenet"

// PresetConfig returns the named preset for numClasses classes.
func PresetConfig(name string, numClasses int) (Config, error) {
	p, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("%w: unknown preset %q (have %v)", ErrConfig, name, Presets())
	}
	p.Preset = name
	p.NumClasses = numClasses
	p.BlockLayers = slices.Clone(p.BlockLayers)
	p.SPPGrids = slices.Clone(p.SPPGrids)
	if err := p.Validate(); err != nil {
		return Config{}, err
	}
	return p, nil
}

// Stride is the factor input sizes are padded to: 4·2^(blocks−1); 1 (no
// padding) for an imported architecture.
func (c Config) Stride() int {
	if c.Arch != "" {
		return 1
	}
	return 4 << max(len(c.BlockLayers)-1, 0)
}

// FeatureStride is the stride of the pre-logit features and native
// logits relative to the padded input: 4, or 2 with a fine level.
func (c Config) FeatureStride() int {
	if c.Arch != "" {
		return tv.FeatureStride(c.Arch)
	}
	if c.OutputStride == 2 {
		return 2
	}
	return 4
}

// FeatureWidth is the number of pre-logit feature channels: DecoderWidth,
// or the fine level's width at output stride 2.
func (c Config) FeatureWidth() int {
	if c.Arch != "" {
		return tv.FeatureWidth(c.Arch, c.Outputs())
	}
	if c.OutputStride != 2 {
		return c.DecoderWidth
	}
	if c.FineWidth > 0 {
		return c.FineWidth
	}
	return max(1, c.DecoderWidth/2)
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Head != "" && c.Head != HeadUNO {
		return fmt.Errorf("%w: head %q (want %q or empty)", ErrConfig, c.Head, HeadUNO)
	}
	if c.Arch != "" {
		if !tv.IsArch(c.Arch) {
			return fmt.Errorf("%w: unknown architecture %q (have %v)", ErrConfig, c.Arch, tv.Archs())
		}
		if c.NumClasses < 1 || c.NumClasses > 250 {
			return fmt.Errorf("%w: num_classes %d outside [1, 250]", ErrConfig, c.NumClasses)
		}
		return nil
	}
	switch {
	case c.NumClasses < 1 || c.NumClasses > 250:
		return fmt.Errorf("%w: num_classes %d outside [1, 250]", ErrConfig, c.NumClasses)
	case c.StemWidth < 2 || c.Growth < 1 || c.SPPWidth < 1 || c.DecoderWidth < 1:
		return fmt.Errorf("%w: stem_width %d (>= 2), growth %d, spp_width %d and decoder_width %d must be positive",
			ErrConfig, c.StemWidth, c.Growth, c.SPPWidth, c.DecoderWidth)
	case len(c.BlockLayers) < 1 || len(c.BlockLayers) > 6:
		return fmt.Errorf("%w: %d dense blocks; want 1 to 6", ErrConfig, len(c.BlockLayers))
	case c.Bottleneck < 0:
		return fmt.Errorf("%w: bottleneck %d is negative", ErrConfig, c.Bottleneck)
	case !(c.Compression > 0 && c.Compression <= 1):
		return fmt.Errorf("%w: compression %g outside (0, 1]", ErrConfig, c.Compression)
	case c.Stem != "" && c.Stem != StemDenseNet:
		return fmt.Errorf("%w: stem %q (want %q or empty)", ErrConfig, c.Stem, StemDenseNet)
	case len(c.SPPGrids) == 0:
		return fmt.Errorf("%w: spp_grids is empty", ErrConfig)
	case c.OutputStride != 0 && c.OutputStride != 2 && c.OutputStride != 4:
		return fmt.Errorf("%w: output_stride %d (want 2 or 4)", ErrConfig, c.OutputStride)
	case c.FineWidth < 0 || c.FineWidth > maxWidth:
		return fmt.Errorf("%w: fine_width %d outside [0, %d]", ErrConfig, c.FineWidth, maxWidth)
	case !(c.Dropout >= 0 && c.Dropout < 1) || math.IsNaN(float64(c.Dropout)):
		return fmt.Errorf("%w: dropout %g outside [0, 1)", ErrConfig, c.Dropout)
	}
	for i, l := range c.BlockLayers {
		if l < 1 || l > 128 {
			return fmt.Errorf("%w: block %d has %d layers; want 1 to 128", ErrConfig, i, l)
		}
	}
	for _, g := range c.SPPGrids {
		if g < 1 || g > 64 {
			return fmt.Errorf("%w: spp grid %d outside [1, 64]", ErrConfig, g)
		}
	}
	for _, v := range []int{c.StemWidth, c.Growth, c.SPPWidth, c.DecoderWidth} {
		if v > maxWidth {
			return fmt.Errorf("%w: width %d above %d", ErrConfig, v, maxWidth)
		}
	}
	if c.Bottleneck > 16 {
		return fmt.Errorf("%w: bottleneck %d above 16", ErrConfig, c.Bottleneck)
	}
	// A config read from a file must not make New allocate gigabytes.
	if n := c.convWeights(); n > MaxParams {
		return fmt.Errorf("%w: about %d convolution weights, above the limit of %d", ErrConfig, n, MaxParams)
	}
	return nil
}

// Limits that keep a config from a file from exhausting memory.
const (
	maxWidth = 4096
	// MaxParams bounds the convolution weights of a valid config (the base
	// preset has 7.8 M parameters).
	MaxParams = 200_000_000
)

// convWeights counts the convolution weights of the architecture without
// building it (mirrors newEncoder and newDecoder).
func (c Config) convWeights() int64 {
	var n int64
	conv := func(in, out, k int) { n += int64(in) * int64(out) * int64(k*k) }
	half := max(1, c.StemWidth/2) // the stem skip's width
	if c.Stem == StemDenseNet {
		conv(3, c.StemWidth, 7)
		half = c.StemWidth
	} else {
		conv(3, half, 3)
		conv(half, c.StemWidth, 3)
	}
	ch := c.StemWidth
	var skips []int
	for i, l := range c.BlockLayers {
		for range l {
			if c.Bottleneck > 0 {
				conv(ch, c.Bottleneck*c.Growth, 1)
				conv(c.Bottleneck*c.Growth, c.Growth, 3)
			} else {
				conv(ch, c.Growth, 3)
			}
			ch += c.Growth
		}
		if i < len(c.BlockLayers)-1 {
			skips = append(skips, ch)
			out := max(1, int(math.Floor(c.Compression*float64(ch))))
			conv(ch, out, 1)
			ch = out
		}
	}
	conv(ch, c.SPPWidth, 1)
	bw := max(1, c.SPPWidth/max(len(c.SPPGrids), 1))
	for range c.SPPGrids {
		conv(c.SPPWidth, bw, 1)
	}
	conv(c.SPPWidth+bw*len(c.SPPGrids), c.DecoderWidth, 1)
	for _, s := range skips {
		conv(s, c.DecoderWidth, 1)
		conv(c.DecoderWidth, c.DecoderWidth, 3)
	}
	if c.OutputStride == 2 {
		fw := c.FeatureWidth()
		conv(c.DecoderWidth, fw, 1)
		conv(half, fw, 1)
		conv(fw, fw, 3)
	}
	conv(c.FeatureWidth(), c.Outputs(), 1)
	return n
}
