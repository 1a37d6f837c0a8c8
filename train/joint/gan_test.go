package joint

import (
	"math/rand/v2"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/models/gan"
	"github.com/nflowjs/nflowjs/nn"
)

// GAN negatives are the generator's eval-mode samples, normalised like
// flow samples, without a graph (the generator stays frozen), at
// multiples of its stride only.
func TestGANNegatives(t *testing.T) {
	g, err := gan.New(gan.Config{Latent: 4, Width: 4}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	s := &GANNegatives{GAN: g, Norm: testNorm}
	p, err := s.Patches(2, 16, 24, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	if p.RequiresGrad() || p.Value.Shape[0] != 2 || p.Value.Shape[2] != 16 || p.Value.Shape[3] != 24 || s.Multiple() != 8 {
		t.Fatalf("patches %v (grad %v), multiple %d", p.Value.Shape, p.RequiresGrad(), s.Multiple())
	}
	nn.Eval(g)
	restore := autograd.NoGrad()
	x, _ := g.Sample(2, 16, 24, rand.New(rand.NewPCG(5, 5)))
	want := testNorm.FromFlow(x).Value
	restore()
	for i, v := range want.Data {
		if p.Value.Data[i] != v {
			t.Fatalf("patch value %d: %v, want %v", i, p.Value.Data[i], v)
		}
	}
	if _, err := s.Patches(1, 12, 16, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("12x16 patch accepted")
	}
}
