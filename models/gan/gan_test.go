package gan

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Samples of any multiple of Stride, inside [-0.5, 0.5]; patch logits at
// 1/8; gradients reach every generator parameter through the
// discriminator; Save/Load reproduce the samples.
func TestGANShapesGradientsAndRoundTrip(t *testing.T) {
	g, err := New(Config{Latent: 4, Width: 4}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, hw := range [][2]int{{8, 8}, {32, 32}, {16, 40}} {
		x, err := g.Sample(3, hw[0], hw[1], rand.New(rand.NewPCG(2, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.ShapeEqual(x.Value.Shape, []int{3, 3, hw[0], hw[1]}) {
			t.Fatalf("sample shape %v for %v", x.Value.Shape, hw)
		}
		for _, v := range x.Value.Data {
			if !(v >= -0.5 && v <= 0.5) {
				t.Fatalf("sample value %v outside [-0.5, 0.5]", v)
			}
		}
		d := g.Discriminate(x)
		if !tensor.ShapeEqual(d.Value.Shape, []int{3, 1, hw[0] / Stride, hw[1] / Stride}) {
			t.Fatalf("discriminator shape %v for %v", d.Value.Shape, hw)
		}
	}
	nn.ZeroGrad(g)
	x, _ := g.Sample(2, 16, 16, rand.New(rand.NewPCG(3, 3)))
	autograd.Mean(g.Discriminate(x)).Backward()
	for _, p := range nn.NamedParameters(g.G) {
		if p.Var.Grad == nil {
			t.Errorf("generator parameter %s has no gradient", p.Name)
		}
	}
	for _, bad := range [][2]int{{12, 16}, {0, 8}} {
		if _, err := g.Sample(1, bad[0], bad[1], rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("size %v accepted", bad)
		}
	}
	if _, err := New(Config{Latent: 0, Width: 4}, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("latent 0 accepted")
	}

	path := filepath.Join(t.TempDir(), "gan.safetensors")
	if err := g.Save(path, map[string]string{"crop": "16"}); err != nil {
		t.Fatal(err)
	}
	h, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta["crop"] != "16" || h.Config() != g.Config() {
		t.Errorf("metadata %v, config %+v", meta, h.Config())
	}
	nn.Eval(g)
	nn.Eval(h)
	a, _ := g.Sample(2, 16, 16, rand.New(rand.NewPCG(4, 4)))
	b, _ := h.Sample(2, 16, 16, rand.New(rand.NewPCG(4, 4)))
	for i := range a.Value.Data {
		if a.Value.Data[i] != b.Value.Data[i] {
			t.Fatalf("loaded GAN samples differ at %d", i)
		}
	}
}
