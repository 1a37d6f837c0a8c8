package tv

import (
	"fmt"
	"math/rand/v2"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
)

// namedSeq is a torch.nn.Sequential built from an OrderedDict: children
// with names, applied in order.
type namedSeq struct {
	names  []string
	layers []nn.Layer
}

func (s *namedSeq) add(name string, l nn.Layer) *namedSeq {
	s.names, s.layers = append(s.names, name), append(s.layers, l)
	return s
}

func (s *namedSeq) Members() nn.Members {
	ch := make([]nn.NamedModule, len(s.layers))
	for i, l := range s.layers {
		ch[i] = nn.NamedModule{Name: s.names[i], Module: l}
	}
	return nn.Members{Children: ch}
}

func (s *namedSeq) Forward(x *autograd.Var) *autograd.Var {
	for _, l := range s.layers {
		x = l.Forward(x)
	}
	return x
}

func bnReLU(c int) *nn.Sequential { return nn.NewSequential(nn.NewBatchNorm2d(c), nn.ReLU{}) }

// identityBlock is the IdentityResidualBlock of NVIDIA's wider_resnet.py
// (pre-activation): bn1 = BN-ReLU of the input feeds the convolutions and,
// when the shape changes, the 1×1 projection shortcut; two 3×3
// convolutions, or 1×1, 3×3, 1×1 for a three-width bottleneck; Dropout2d
// before the last convolution in mod6 and mod7.
type identityBlock struct {
	bn1   *nn.Sequential
	convs *namedSeq
	proj  *nn.Conv2d // nil: identity shortcut
}

func newIdentityBlock(rng *rand.Rand, in int, ch []int, stride, dil int, drop float32) *identityBlock {
	b := &identityBlock{bn1: bnReLU(in), convs: &namedSeq{}}
	if len(ch) == 2 {
		b.convs.add("conv1", conv(rng, in, ch[0], 3, stride, dil, dil)).add("bn2", bnReLU(ch[0]))
		if drop > 0 {
			b.convs.add("dropout", nn.NewDropout2d(rng, drop))
		}
		b.convs.add("conv2", conv(rng, ch[0], ch[1], 3, 1, dil, dil))
	} else {
		b.convs.add("conv1", conv(rng, in, ch[0], 1, stride, 0, 1)).add("bn2", bnReLU(ch[0])).
			add("conv2", conv(rng, ch[0], ch[1], 3, 1, dil, dil)).add("bn3", bnReLU(ch[1]))
		if drop > 0 {
			b.convs.add("dropout", nn.NewDropout2d(rng, drop))
		}
		b.convs.add("conv3", conv(rng, ch[1], ch[2], 1, 1, 0, 1))
	}
	if stride != 1 || in != ch[len(ch)-1] {
		b.proj = conv(rng, in, ch[len(ch)-1], 1, stride, 0, 1)
	}
	return b
}

func (b *identityBlock) Members() nn.Members {
	ch := []nn.NamedModule{{Name: "bn1", Module: b.bn1}, {Name: "convs", Module: b.convs}}
	if b.proj != nil {
		ch = append(ch, nn.NamedModule{Name: "proj_conv", Module: b.proj})
	}
	return nn.Members{Children: ch}
}

func (b *identityBlock) Forward(x *autograd.Var) *autograd.Var {
	pre := b.bn1.Forward(x)
	shortcut := x
	if b.proj != nil {
		shortcut = b.proj.Forward(pre)
	}
	return autograd.Add(b.convs.Forward(pre), shortcut)
}

// deepWV3Plus is DeepWV3Plus of NVIDIA's semantic-segmentation repository
// (network/deepv3.py): WiderResNet-38-A2 with dilation (output stride 8;
// mod1–mod7), their ASPP (image pooling first, then 1×1 and 3×3 at rates
// 12, 24, 36), bot_aspp, the bot_fine skip of mod2 at 1/2 resolution and
// the final head; upsampling with align_corners=True, as theirs.
type deepWV3Plus struct {
	mod1           *namedSeq
	mods           [6]*namedSeq // mod2 … mod7
	asppFeatures   nn.ModuleList
	asppImgConv    *nn.Sequential
	botFine, botAS *nn.Conv2d
	final          *nn.Sequential
}

func newDeepWV3Plus(rng *rand.Rand, classes int) *deepWV3Plus {
	d := &deepWV3Plus{mod1: (&namedSeq{}).add("conv1", conv(rng, 3, 64, 3, 1, 1, 1))}
	structure := []int{3, 3, 6, 3, 1, 1}
	channels := [][]int{{128, 128}, {256, 256}, {512, 512}, {512, 1024}, {512, 1024, 2048}, {1024, 2048, 4096}}
	in := 64
	for id, n := range structure {
		m := &namedSeq{}
		for b := range n {
			dil, stride := 1, 1
			switch {
			case id == 3:
				dil = 2
			case id > 3:
				dil = 4
			}
			if b == 0 && id == 2 {
				stride = 2
			}
			var drop float32
			switch id {
			case 4:
				drop = 0.3
			case 5:
				drop = 0.5
			}
			m.add(fmt.Sprintf("block%d", b+1), newIdentityBlock(rng, in, channels[id], stride, dil, drop))
			in = channels[id][len(channels[id])-1]
		}
		d.mods[id] = m
	}
	cbr := func(in, out, k, dil int) *nn.Sequential {
		return nn.NewSequential(conv(rng, in, out, k, 1, dil*(k/2), dil), nn.NewBatchNorm2d(out), nn.ReLU{})
	}
	d.asppFeatures = nn.ModuleList{cbr(4096, 256, 1, 1)}
	for _, r := range []int{12, 24, 36} {
		d.asppFeatures = append(d.asppFeatures, cbr(4096, 256, 3, r))
	}
	d.asppImgConv = cbr(4096, 256, 1, 1)
	d.botFine, d.botAS = conv(rng, 128, 48, 1, 1, 0, 1), conv(rng, 1280, 256, 1, 1, 0, 1)
	d.final = nn.NewSequential(conv(rng, 304, 256, 3, 1, 1, 1), nn.NewBatchNorm2d(256), nn.ReLU{},
		conv(rng, 256, 256, 3, 1, 1, 1), nn.NewBatchNorm2d(256), nn.ReLU{}, conv(rng, 256, classes, 1, 1, 0, 1))
	return d
}

func (d *deepWV3Plus) Members() nn.Members {
	ch := []nn.NamedModule{{Name: "mod1", Module: d.mod1}}
	for i, m := range d.mods {
		ch = append(ch, nn.NamedModule{Name: fmt.Sprintf("mod%d", i+2), Module: m})
	}
	aspp := nn.Members{Children: []nn.NamedModule{{Name: "features", Module: d.asppFeatures}, {Name: "img_conv", Module: d.asppImgConv}}}
	return nn.Members{Children: append(ch, nn.NamedModule{Name: "aspp", Module: membersOf(aspp)},
		nn.NamedModule{Name: "bot_fine", Module: d.botFine}, nn.NamedModule{Name: "bot_aspp", Module: d.botAS},
		nn.NamedModule{Name: "final", Module: d.final})}
}

// membersOf wraps fixed Members as a module.
type membersOf nn.Members

func (m membersOf) Members() nn.Members { return nn.Members(m) }

// features returns the final head's 256 ReLU features at mod2's grid (1/2).
func (d *deepWV3Plus) features(inp *autograd.Var) *autograd.Var {
	x := d.mod1.Forward(inp)
	m2 := d.mods[0].Forward(autograd.MaxPool2d(x, 3, 2, 1))
	x = d.mods[1].Forward(autograd.MaxPool2d(m2, 3, 2, 1))
	for _, m := range d.mods[2:] {
		x = m.Forward(x)
	}
	_, _, h, w := x.Value.NCHW()
	img := d.asppImgConv.Forward(autograd.AdaptiveAvgPool2d(x, 1, 1))
	parts := []*autograd.Var{autograd.ResizeBilinearAligned(img, h, w)}
	for _, f := range d.asppFeatures {
		parts = append(parts, f.(*nn.Sequential).Forward(x))
	}
	up := d.botAS.Forward(autograd.Concat(parts...))
	_, _, fh, fw := m2.Value.NCHW()
	y := autograd.Concat(d.botFine.Forward(m2), autograd.ResizeBilinearAligned(up, fh, fw))
	for _, l := range d.final.Layers[:len(d.final.Layers)-1] {
		y = l.Forward(y)
	}
	return y
}

func (d *deepWV3Plus) head(f *autograd.Var) *autograd.Var {
	return d.final.Layers[len(d.final.Layers)-1].Forward(f)
}
