package seg

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// flopCounter accumulates convolution FLOPs while on (see Model.FLOPs).
type flopCounter struct {
	on bool
	n  int64
}

// conv is an nn.Conv2d that reports its FLOPs to the model's counter. It
// embeds the layer, so its state-dict names are weight and bias.
type conv struct {
	*nn.Conv2d
	ctr *flopCounter
}

func newConv(rng *rand.Rand, ctr *flopCounter, in, out, k, stride int, bias bool) conv {
	c := nn.NewConv2d(rng, in, out, k, stride, k/2, 1, bias)
	// torchvision's DenseNet initialises convolutions with He-normal
	// (fan_in, ReLU gain) and zero biases; the PyTorch layer default is
	// too small for deep ReLU nets trained from scratch.
	nn.KaimingNormal(rng, c.Weight.Value, in*k*k, nn.Gain(nn.GainReLU, 0))
	if c.Bias != nil {
		c.Bias.Value.Zero()
	}
	return conv{Conv2d: c, ctr: ctr}
}

// Forward convolves x and counts 2·MACs: 2·N·out·H'·W'·in·k².
func (c conv) Forward(x *autograd.Var) *autograd.Var {
	y := c.Conv2d.Forward(x)
	if c.ctr.on {
		n, _, h, w := y.Value.NCHW()
		c.ctr.n += 2 * int64(n*c.OutChannels*h*w) * int64(c.InChannels*c.Kernel*c.Kernel)
	}
	return y
}

// bnReLU is the pre-activation of DenseNet layers: ReLU(BN(x)).
func bnReLU(bn *nn.BatchNorm2d, x *autograd.Var) *autograd.Var {
	return nn.BNAct(bn, x, tensor.ActReLU)
}

// denseLayer is one DenseNet(-BC) layer, torchvision's _DenseLayer:
// BN-ReLU-conv1×1(bottleneck·k) -BN-ReLU-conv3×3(k), or just
// BN-ReLU-conv3×3(k) without a bottleneck. Its output is concatenated to
// its input by the block.
type denseLayer struct {
	norm1 *nn.BatchNorm2d
	conv1 *conv // nil without bottleneck
	norm2 *nn.BatchNorm2d
	conv2 conv
}

func newDenseLayer(rng *rand.Rand, ctr *flopCounter, in, growth, bottleneck int) *denseLayer {
	l := &denseLayer{norm1: nn.NewBatchNorm2d(in)}
	c3in := in
	if bottleneck > 0 {
		c := newConv(rng, ctr, in, bottleneck*growth, 1, 1, false)
		l.conv1 = &c
		l.norm2 = nn.NewBatchNorm2d(bottleneck * growth)
		c3in = bottleneck * growth
	}
	l.conv2 = newConv(rng, ctr, c3in, growth, 3, 1, false)
	return l
}

func (l *denseLayer) Members() nn.Members {
	ch := []nn.NamedModule{{Name: "norm1", Module: l.norm1}}
	if l.conv1 != nil {
		ch = append(ch, nn.NamedModule{Name: "conv1", Module: l.conv1}, nn.NamedModule{Name: "norm2", Module: l.norm2})
	}
	return nn.Members{Children: append(ch, nn.NamedModule{Name: "conv2", Module: l.conv2})}
}

func (l *denseLayer) forward(x *autograd.Var) *autograd.Var {
	y := bnReLU(l.norm1, x)
	if l.conv1 != nil {
		y = bnReLU(l.norm2, l.conv1.Forward(y))
	}
	return l.conv2.Forward(y)
}

// denseBlock concatenates every layer's output to its input: with c₀
// input channels the output has c₀ + L·k.
type denseBlock struct {
	layers []*denseLayer
	out    int
}

func newDenseBlock(rng *rand.Rand, ctr *flopCounter, in, layers, growth, bottleneck int) *denseBlock {
	b := &denseBlock{out: in}
	for range layers {
		b.layers = append(b.layers, newDenseLayer(rng, ctr, b.out, growth, bottleneck))
		b.out += growth
	}
	return b
}

func (b *denseBlock) Members() nn.Members {
	var ch []nn.NamedModule
	for i, l := range b.layers {
		ch = append(ch, nn.NamedModule{Name: fmt.Sprintf("denselayer%d", i+1), Module: l})
	}
	return nn.Members{Children: ch}
}

func (b *denseBlock) forward(x *autograd.Var) *autograd.Var {
	for _, l := range b.layers {
		x = autograd.Concat(x, l.forward(x))
	}
	return x
}

// transition halves the resolution between blocks: BN-ReLU-conv1×1
// (compression θ) then 2×2 average pooling, as in DenseNet-BC.
type transition struct {
	norm *nn.BatchNorm2d
	conv conv
	out  int
}

func newTransition(rng *rand.Rand, ctr *flopCounter, in int, theta float64) *transition {
	out := max(1, int(math.Floor(theta*float64(in))))
	return &transition{norm: nn.NewBatchNorm2d(in), conv: newConv(rng, ctr, in, out, 1, 1, false), out: out}
}

func (t *transition) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "norm", Module: t.norm}, {Name: "conv", Module: t.conv}}}
}

func (t *transition) forward(x *autograd.Var) *autograd.Var {
	return autograd.AvgPool2d(t.conv.Forward(bnReLU(t.norm, x)), 2, 2, 0)
}

// encoder is the DenseNet backbone: a stem of two stride-2 3×3
// convolutions (conv-BN-ReLU, 1/4 resolution), then dense blocks separated
// by transitions.
type encoder struct {
	conv0  conv
	norm0  *nn.BatchNorm2d
	conv1  *conv // nil with DenseNet's stem (a max-pool instead)
	norm1  *nn.BatchNorm2d
	blocks []*denseBlock
	trans  []*transition
}

func newEncoder(rng *rand.Rand, ctr *flopCounter, cfg Config) *encoder {
	var e *encoder
	if cfg.Stem == StemDenseNet {
		e = &encoder{conv0: newConv(rng, ctr, 3, cfg.StemWidth, 7, 2, false), norm0: nn.NewBatchNorm2d(cfg.StemWidth)}
	} else {
		// conv0's weights are drawn before conv1's: the order fixes what a
		// seed gives, and with it every documented run.
		half := max(1, cfg.StemWidth/2)
		c0 := newConv(rng, ctr, 3, half, 3, 2, false)
		c1 := newConv(rng, ctr, half, cfg.StemWidth, 3, 2, false)
		e = &encoder{conv0: c0, norm0: nn.NewBatchNorm2d(half), conv1: &c1, norm1: nn.NewBatchNorm2d(cfg.StemWidth)}
	}
	ch := cfg.StemWidth
	for i, l := range cfg.BlockLayers {
		b := newDenseBlock(rng, ctr, ch, l, cfg.Growth, cfg.Bottleneck)
		e.blocks = append(e.blocks, b)
		ch = b.out
		if i < len(cfg.BlockLayers)-1 {
			t := newTransition(rng, ctr, ch, cfg.Compression)
			e.trans = append(e.trans, t)
			ch = t.out
		}
	}
	return e
}

func (e *encoder) Members() nn.Members {
	ch := []nn.NamedModule{{Name: "conv0", Module: e.conv0}, {Name: "norm0", Module: e.norm0}}
	if e.conv1 != nil {
		ch = append(ch, nn.NamedModule{Name: "conv1", Module: e.conv1}, nn.NamedModule{Name: "norm1", Module: e.norm1})
	}
	for i, b := range e.blocks {
		ch = append(ch, nn.NamedModule{Name: fmt.Sprintf("denseblock%d", i+1), Module: b})
		if i < len(e.trans) {
			ch = append(ch, nn.NamedModule{Name: fmt.Sprintf("transition%d", i+1), Module: e.trans[i]})
		}
	}
	return nn.Members{Children: ch}
}

// forward returns the stem's 1/2-resolution activations (the fine
// level's skip), the output of every block but the last (the ladder's
// lateral skips, finest first) and the last block's output.
func (e *encoder) forward(x *autograd.Var) (stem *autograd.Var, skips []*autograd.Var, top *autograd.Var) {
	stem = autograd.Relu(e.norm0.Forward(e.conv0.Forward(x)))
	if e.conv1 != nil {
		x = autograd.Relu(e.norm1.Forward(e.conv1.Forward(stem)))
	} else {
		x = autograd.MaxPool2d(stem, 3, 2, 1) // DenseNet's pool0
	}
	for i, b := range e.blocks {
		x = b.forward(x)
		if i < len(e.trans) {
			skips = append(skips, x)
			x = e.trans[i].forward(x)
		}
	}
	return stem, skips, x
}

// skipWidths returns the channels of the skips and of the top features.
func (e *encoder) widths() (skips []int, top int) {
	for i, b := range e.blocks {
		if i < len(e.trans) {
			skips = append(skips, b.out)
		}
	}
	return skips, e.blocks[len(e.blocks)-1].out
}

// spp is the spatial pyramid pooling context module of LDN (after
// PSPNet): the top features are projected to SPPWidth channels
// (BN-ReLU-conv1×1), average-pooled to each grid, projected again
// (conv1×1 + bias, ReLU; no batch norm, since a 1×1 grid of a single image
// has one value per channel), upsampled bilinearly and concatenated with
// the projection; a BN-ReLU-conv1×1 fuses the pyramid to DecoderWidth.
type spp struct {
	norm     *nn.BatchNorm2d
	conv     conv
	grids    []int
	branches []conv
	fuseNorm *nn.BatchNorm2d
	fuseConv conv
}

func newSPP(rng *rand.Rand, ctr *flopCounter, in int, cfg Config) *spp {
	s := &spp{norm: nn.NewBatchNorm2d(in), conv: newConv(rng, ctr, in, cfg.SPPWidth, 1, 1, false), grids: cfg.SPPGrids}
	bw := max(1, cfg.SPPWidth/len(cfg.SPPGrids))
	for range cfg.SPPGrids {
		s.branches = append(s.branches, newConv(rng, ctr, cfg.SPPWidth, bw, 1, 1, true))
	}
	fused := cfg.SPPWidth + bw*len(cfg.SPPGrids)
	s.fuseNorm = nn.NewBatchNorm2d(fused)
	s.fuseConv = newConv(rng, ctr, fused, cfg.DecoderWidth, 1, 1, false)
	return s
}

func (s *spp) Members() nn.Members {
	br := make(nn.ModuleList, len(s.branches))
	for i, b := range s.branches {
		br[i] = b
	}
	return nn.Members{Children: []nn.NamedModule{{Name: "norm", Module: s.norm}, {Name: "conv", Module: s.conv},
		{Name: "branches", Module: br}, {Name: "fuse_norm", Module: s.fuseNorm}, {Name: "fuse_conv", Module: s.fuseConv}}}
}

// sppGrid is the pooled size of an h×w map for grid height g: g rows and
// g·w/h columns (the aspect ratio is kept), clamped to the map.
func sppGrid(g, h, w int) (gh, gw int) {
	gh = min(g, h)
	gw = min(max(1, int(math.Round(float64(g)*float64(w)/float64(h)))), w)
	return gh, gw
}

func (s *spp) forward(x *autograd.Var) *autograd.Var {
	x = s.conv.Forward(bnReLU(s.norm, x))
	_, _, h, w := x.Value.NCHW()
	parts := []*autograd.Var{x}
	for i, g := range s.grids {
		gh, gw := sppGrid(g, h, w)
		p := autograd.Relu(s.branches[i].Forward(autograd.AdaptiveAvgPool2d(x, gh, gw)))
		parts = append(parts, autograd.ResizeBilinear(p, h, w))
	}
	return s.fuseConv.Forward(bnReLU(s.fuseNorm, autograd.Concat(parts...)))
}

// ladderUp is one upsampling module of the ladder decoder: the coarser
// decoder features are upsampled bilinearly to the skip's resolution and
// summed with the lateral projection of the skip (BN-ReLU-conv1×1), then
// blended by BN-ReLU-conv3×3 (LDN section III).
type ladderUp struct {
	latNorm   *nn.BatchNorm2d
	latConv   conv
	blendNorm *nn.BatchNorm2d
	blendConv conv
}

func newLadderUp(rng *rand.Rand, ctr *flopCounter, skip, width int) *ladderUp {
	return &ladderUp{
		latNorm: nn.NewBatchNorm2d(skip), latConv: newConv(rng, ctr, skip, width, 1, 1, false),
		blendNorm: nn.NewBatchNorm2d(width), blendConv: newConv(rng, ctr, width, width, 3, 1, false),
	}
}

func (u *ladderUp) Members() nn.Members {
	return nn.Members{Children: []nn.NamedModule{{Name: "lateral_norm", Module: u.latNorm}, {Name: "lateral_conv", Module: u.latConv},
		{Name: "blend_norm", Module: u.blendNorm}, {Name: "blend_conv", Module: u.blendConv}}}
}

func (u *ladderUp) forward(x, skip *autograd.Var) *autograd.Var {
	_, _, h, w := skip.Value.NCHW()
	x = autograd.Add(autograd.ResizeBilinear(x, h, w), u.latConv.Forward(bnReLU(u.latNorm, skip)))
	return u.blendConv.Forward(bnReLU(u.blendNorm, x))
}

// fineUp is the optional ladder level at 1/2 resolution (Config.
// OutputStride 2): the 1/4 decoder features are projected to the fine
// width (BN-ReLU-conv1×1, at 1/4 where it is cheap), upsampled, summed
// with the lateral projection of the stem's first convolution and blended
// by BN-ReLU-conv3×3, as in ladderUp.
type fineUp struct {
	projNorm *nn.BatchNorm2d
	projConv conv
	*ladderUp
}

func newFineUp(rng *rand.Rand, ctr *flopCounter, in, skip, width int) *fineUp {
	return &fineUp{projNorm: nn.NewBatchNorm2d(in), projConv: newConv(rng, ctr, in, width, 1, 1, false),
		ladderUp: newLadderUp(rng, ctr, skip, width)}
}

func (u *fineUp) Members() nn.Members {
	m := u.ladderUp.Members()
	m.Children = append([]nn.NamedModule{{Name: "project_norm", Module: u.projNorm}, {Name: "project_conv", Module: u.projConv}}, m.Children...)
	return m
}

func (u *fineUp) forward(x, skip *autograd.Var) *autograd.Var {
	return u.ladderUp.forward(u.projConv.Forward(bnReLU(u.projNorm, x)), skip)
}

// decoder is the SPP module, the ladder (one ladderUp per skip, coarsest
// first, then the optional fine level) and the head: BN-ReLU gives the
// pre-logit features, then dropout and a 1×1 convolution give the logits.
type decoder struct {
	spp      *spp
	ladder   []*ladderUp // ladder[i] merges skip i (0 = finest, 1/4)
	fine     *fineUp     // nil at output stride 4
	headNorm *nn.BatchNorm2d
	drop     *nn.Dropout // nil when Config.Dropout == 0
	logits   conv
}

func newDecoder(rng *rand.Rand, ctr *flopCounter, cfg Config, stemW int, skipW []int, topW int) *decoder {
	d := &decoder{spp: newSPP(rng, ctr, topW, cfg)}
	for _, sw := range skipW {
		d.ladder = append(d.ladder, newLadderUp(rng, ctr, sw, cfg.DecoderWidth))
	}
	if cfg.FeatureStride() == 2 {
		d.fine = newFineUp(rng, ctr, cfg.DecoderWidth, stemW, cfg.FeatureWidth())
	}
	d.headNorm = nn.NewBatchNorm2d(cfg.FeatureWidth())
	if cfg.Dropout > 0 {
		d.drop = nn.NewDropout(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())), cfg.Dropout)
	}
	// The classifier keeps PyTorch's default initialisation: He-normal
	// logits would start with a large spread and a high initial loss.
	d.logits = conv{Conv2d: nn.NewConv2d(rng, cfg.FeatureWidth(), cfg.Outputs(), 1, 1, 0, 1, true), ctr: ctr}
	return d
}

func (d *decoder) Members() nn.Members {
	lad := make(nn.ModuleList, len(d.ladder))
	for i, u := range d.ladder {
		lad[i] = u
	}
	ch := []nn.NamedModule{{Name: "spp", Module: d.spp}, {Name: "ladder", Module: lad}}
	if d.fine != nil {
		ch = append(ch, nn.NamedModule{Name: "fine", Module: d.fine})
	}
	ch = append(ch, nn.NamedModule{Name: "head_norm", Module: d.headNorm})
	if d.drop != nil {
		ch = append(ch, nn.NamedModule{Name: "head_dropout", Module: d.drop})
	}
	return nn.Members{Children: append(ch, nn.NamedModule{Name: "logits", Module: d.logits})}
}

// features runs SPP and the ladder and returns ReLU(BN(x)) at the
// output stride (1/4, or 1/2 through the fine level and the stem's skip).
func (d *decoder) features(top *autograd.Var, skips []*autograd.Var, stem *autograd.Var) *autograd.Var {
	x := d.spp.forward(top)
	for i := len(d.ladder) - 1; i >= 0; i-- {
		x = d.ladder[i].forward(x, skips[i])
	}
	if d.fine != nil {
		x = d.fine.forward(x, stem)
	}
	return bnReLU(d.headNorm, x)
}
