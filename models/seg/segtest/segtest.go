// Package segtest builds what tests of the packages above models/seg
// share: a tiny procedural road dataset with an untrained tiny-model
// bundle for it.
package segtest

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/dataset"
	"github.com/nflowjs/nflowjs/dataset/synth"
	"github.com/nflowjs/nflowjs/models/seg"
)

// RoadBundle writes, under a test temporary directory, a road dataset of
// 32×64 images (train, val and test images per split, generator seed 5)
// and an untrained tiny bundle for it (weights from seed, the given
// default score); it returns the dataset and bundle directories.
func RoadBundle(t testing.TB, train, val, test int, seed uint64, score string) (data, model string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "road")
	if err := synth.Generate(context.Background(), synth.Config{Kind: "road", Out: data, Seed: 5,
		Train: train, Val: val, Test: test, Height: 32, Width: 64}); err != nil {
		t.Fatal(err)
	}
	meta, err := dataset.ReadMeta(data)
	if err != nil {
		t.Fatal(err)
	}
	cfg := seg.Config{NumClasses: len(meta.Classes), StemWidth: 8, Growth: 4, BlockLayers: []int{1, 2, 1}, Bottleneck: 2,
		Compression: 0.5, SPPWidth: 8, SPPGrids: []int{1, 2}, DecoderWidth: 8, Dropout: 0.2}
	m, err := seg.New(cfg, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	model = filepath.Join(dir, "run")
	if err := seg.SaveBundle(model, m, seg.NewInfo(m, meta.Classes, score, "closed")); err != nil {
		t.Fatal(err)
	}
	return data, model
}
