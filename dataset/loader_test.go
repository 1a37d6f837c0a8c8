package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"
)

// makeLoaderFixture writes n differently sized samples (so a crop is needed).
func makeLoaderFixture(t testing.TB, n int) *Split {
	t.Helper()
	dir := t.TempDir()
	if err := WriteMeta(dir, &Meta{Name: "l", Classes: []string{"a", "b", "c", "d"}, IgnoreLabel: 255, AnomalyLabel: 254}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		w, h := 24+i%3*4, 12+i%2*4
		id := fmt.Sprintf("%03d", i)
		writeRGB(t, filepath.Join(dir, "train", "images", id+".png"), w, h, i)
		writeGray8(t, filepath.Join(dir, "train", "labels", id+".png"), w, h, stripes(w, h, 0, 1, 2, 3, uint8(i%4)))
	}
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func collect(t *testing.T, l *Loader, epoch int) []*Batch {
	t.Helper()
	it := l.Epoch(context.Background(), epoch)
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func TestLoaderDeterministicAcrossWorkers(t *testing.T) {
	s := makeLoaderFixture(t, 11)
	aug := &Augment{Flip: true, MinScale: 0.5, MaxScale: 2, CropH: 16, CropW: 20, Jitter: 0.2}
	cfg := LoaderConfig{BatchSize: 3, Shuffle: true, Seed: 42, Augment: aug}
	run := func(workers, prefetch int, epoch int) []*Batch {
		c := cfg
		c.Workers, c.Prefetch = workers, prefetch
		l, err := NewLoader(s, c)
		if err != nil {
			t.Fatal(err)
		}
		return collect(t, l, epoch)
	}
	ref := run(1, 1, 0)
	if len(ref) != 4 || ref[3].N != 2 {
		t.Fatalf("%d batches, last has %d", len(ref), ref[len(ref)-1].N)
	}
	for _, b := range ref {
		if b.H != 16 || b.W != 20 || len(b.Images) != b.N*3*16*20 || len(b.Labels) != b.N*16*20 {
			t.Fatalf("batch shape %dx%dx%d", b.N, b.H, b.W)
		}
	}
	for _, w := range []int{2, 4} {
		got := run(w, 3, 0)
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("%d workers differ from 1 worker", w)
		}
	}
	// The decoded-sample cache changes nothing, in the first epoch or later.
	cc := cfg
	cc.Cache, cc.Workers = true, 4
	lc, err := NewLoader(s, cc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(collect(t, lc, 0), ref) || !reflect.DeepEqual(collect(t, lc, 0), ref) {
		t.Fatal("cached loader differs")
	}
	// Another epoch: a different order and different crops.
	e1 := run(4, 2, 1)
	if reflect.DeepEqual(e1[0].Indices, ref[0].Indices) && reflect.DeepEqual(e1[0].Labels, ref[0].Labels) {
		t.Fatal("epoch 1 repeats epoch 0")
	}
	seen := map[int]bool{}
	for _, b := range e1 {
		for _, i := range b.Indices {
			seen[i] = true
		}
	}
	if len(seen) != 11 {
		t.Fatalf("epoch covers %d of 11 samples", len(seen))
	}
}

func TestLoaderNoAugmentNormalisation(t *testing.T) {
	s := makeLoaderFixture(t, 6)
	// The fixture's samples differ in size, so batches of 6 need a crop.
	l, err := NewLoader(s, LoaderConfig{BatchSize: 6, Workers: 2, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	it := l.Epoch(context.Background(), 0)
	defer it.Close()
	if _, err := it.Next(); err == nil {
		t.Fatal("batched samples of different sizes without a crop")
	}

	l, _ = NewLoader(s, LoaderConfig{BatchSize: 1, DropLast: true, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}})
	bs := collect(t, l, 0)
	if len(bs) != 6 || bs[0].IDs[0] != "000" || bs[5].Indices[0] != 5 {
		t.Fatalf("unshuffled order: %v", bs[0].IDs)
	}
	smp, _ := s.Load(0)
	hw := smp.W() * smp.H()
	for c := 0; c < 3; c++ {
		for i := 0; i < hw; i++ {
			want := float32(smp.Image.Pix[3*i+c])/255*2 - 1
			if d := bs[0].Images[c*hw+i] - want; d > 1e-6 || d < -1e-6 {
				t.Fatalf("channel %d pixel %d = %g, want %g", c, i, bs[0].Images[c*hw+i], want)
			}
		}
	}
}

func TestLoaderErrorsAndClose(t *testing.T) {
	s := makeLoaderFixture(t, 8)
	s.Entries[5].Label = filepath.Join(t.TempDir(), "gone.png")
	l, err := NewLoader(s, LoaderConfig{BatchSize: 2, Workers: 2, Augment: &Augment{CropH: 8, CropW: 8}})
	if err != nil {
		t.Fatal(err)
	}
	it := l.Epoch(context.Background(), 0)
	var got error
	for got == nil {
		_, got = it.Next()
	}
	it.Close()
	if !errors.Is(got, ErrMissingFile) {
		t.Fatalf("got %v", got)
	}
	// Early Close with batches in flight must not hang or leak.
	it = l.Epoch(context.Background(), 0)
	it.Next()
	it.Close()
	it.Close()
	if _, err := it.Next(); err == nil {
		t.Fatal("Next after Close")
	}
	// Cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	it = l.Epoch(ctx, 0)
	var cerr error
	for i := 0; i < 10 && cerr == nil; i++ {
		_, cerr = it.Next()
	}
	it.Close()
	if !errors.Is(cerr, context.Canceled) {
		t.Fatalf("cancelled epoch ended with %v", cerr)
	}

	for _, cfg := range []LoaderConfig{{BatchSize: 0}, {BatchSize: 1, Std: [3]float32{1, 0, 1}}, {BatchSize: 1, Augment: &Augment{Jitter: 2}}} {
		if _, err := NewLoader(s, cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}
