package gan

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/dataset/datasettest"
	"github.com/nflowjs/nflowjs/models/gan"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// A short run writes the generator, the log and the sample sheet, and the
// same seed reproduces the checkpoint byte for byte.
func TestRunWritesADeterministicGAN(t *testing.T) {
	data := t.TempDir()
	datasettest.WriteTinyFolder(t, data)
	run := func(out string) []byte {
		c := DefaultConfig(data, out)
		c.GAN, c.Steps, c.Batch, c.Crop, c.LogEvery, c.SampleCount = gan.Config{Latent: 4, Width: 4}, 3, 2, 16, 2, 4
		res, err := Run(context.Background(), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Steps != 3 || !(res.LossD > 0) || !(res.LossG > 0) {
			t.Errorf("result %+v", res)
		}
		for _, f := range []string{LogFile, SamplesFile} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Error(err)
			}
		}
		raw, err := os.ReadFile(filepath.Join(out, ModelFile))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	a, b := run(filepath.Join(t.TempDir(), "a")), run(filepath.Join(t.TempDir(), "b"))
	if !bytes.Equal(a, b) {
		t.Error("two runs with the same seed differ")
	}
	c := DefaultConfig(data, t.TempDir())
	c.Crop = 12
	if _, err := Run(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "multiple of 8") {
		t.Errorf("crop 12: %v", err)
	}
}

// Step on a fixed real batch (and fixed latents): over 20 steps the
// discriminator's loss falls, as it learns to separate the two.
func TestStepDescends(t *testing.T) {
	g, err := gan.New(gan.Config{Latent: 4, Width: 8}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	real := tensor.New(4, 3, 16, 16)
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range real.Data {
		real.Data[i] = float32(rng.Float64() - 0.5)
	}
	cfg := optim.AdamConfig{Beta1: 0.5, Beta2: 0.999, Eps: 1e-8}
	optD, _ := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-3, nn.Parameters(g.D)...)}, cfg)
	optG, _ := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-3, nn.Parameters(g.G)...)}, cfg)
	var first, last float64
	for i := range 20 {
		ld, _, _, err := Step(g, optD, optG, real, rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = ld
		}
		last = ld
	}
	if !(last < first) {
		t.Errorf("discriminator loss on a fixed batch went from %v to %v", first, last)
	}
}
