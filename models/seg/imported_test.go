package seg

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// An imported architecture (Config.Arch) behaves as a Model: logits,
// native logits + upsampling, features + classifier agree; MC dropout
// draws masks; parameters split into backbone and head; a bundle round
// trip keeps torchvision's tensor names and the logits.
func TestImportedArchitecture(t *testing.T) {
	for _, arch := range []string{"fcn_resnet50", "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large"} {
		t.Run(arch, func(t *testing.T) { testImported(t, arch) })
	}
}

func testImported(t *testing.T, arch string) {
	cfg := Config{Arch: arch, NumClasses: 4}
	m, err := New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	// Kaiming weights in the head too, so its activations (and the MC
	// dropout check) are not lost below float32's resolution next to the
	// biases, as with PyTorch's layer default on a random backbone.
	wr := rand.New(rand.NewPCG(7, 7))
	for _, p := range nn.NamedParameters(m) {
		if w := p.Var.Value; len(w.Shape) == 4 {
			nn.KaimingNormal(wr, w, w.Shape[0]*w.Shape[2]*w.Shape[3], math.Sqrt2)
		}
	}
	nn.Eval(m)
	x := tensor.New(1, 3, 44, 70) // not multiples of 8: ceil(44/8) = 6, ceil(70/8) = 9
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	lg, err := m.Logits(x)
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.ShapeEqual(lg.Shape, []int{1, 4, 44, 70}) {
		t.Fatalf("logits %v", lg.Shape)
	}
	nat, err := m.NativeLogits(x)
	fh, fw := 6, 9
	if arch == "deeplabv3_mobilenet_v3_large" {
		fh, fw = 3, 5 // 1/16
	}
	if err != nil || !tensor.ShapeEqual(nat.Shape, []int{1, 4, fh, fw}) {
		t.Fatalf("native %v %v", nat, err)
	}
	up, _ := m.UpsampleNative(nat, 44, 70)
	f, _ := m.Features(x)
	fl, err := m.LogitsFromFeatures(f, 44, 70)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lg.Data {
		if up.Data[i] != lg.Data[i] || fl.Data[i] != lg.Data[i] {
			t.Fatalf("paths disagree at %d: %v %v %v", i, lg.Data[i], up.Data[i], fl.Data[i])
		}
	}
	if !m.HasDropout() {
		if arch != "lraspp_mobilenet_v3_large" {
			t.Fatal("no head dropout")
		}
		return // LR-ASPP has none; the rest is arch-independent
	}
	s1, err := m.StochasticLogits(x, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := m.StochasticLogits(x, rand.New(rand.NewPCG(3, 3)))
	same := true
	for i := range s1.Data {
		same = same && s1.Data[i] == s2.Data[i]
	}
	if same {
		t.Error("MC dropout passes with different masks agree")
	}
	if n := len(m.EncoderParams()) + len(m.DecoderParams()); n != len(nn.NamedParameters(m)) || len(m.DecoderParams()) == 0 {
		t.Errorf("parameter split %d + %d", len(m.EncoderParams()), len(m.DecoderParams()))
	}
	dir := filepath.Join(t.TempDir(), "run")
	if err := SaveBundle(dir, m, NewInfo(m, []string{"a", "b", "c", "d"}, "msp", "imported")); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Info.Config.Arch != arch {
		t.Fatalf("config %+v", b.Info.Config)
	}
	if _, ok := nn.StateDict(b.Model)["classifier.high_classifier.weight"]; !ok && arch == "lraspp_mobilenet_v3_large" {
		t.Error("torchvision names lost")
	}
	lg2, _ := b.Model.Logits(x)
	for i := range lg.Data {
		if lg2.Data[i] != lg.Data[i] {
			t.Fatal("logits changed through the bundle")
		}
	}
	if err := (Config{Arch: "vgg16", NumClasses: 3}).Validate(); err == nil || !strings.Contains(err.Error(), "vgg16") {
		t.Errorf("unknown arch: %v", err)
	}
}
