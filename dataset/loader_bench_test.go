package dataset

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// benchSplit writes n w×h samples with textured content,
// so PNG decoding costs what it costs on real photos rather than on flat
// colour.
func benchSplit(b *testing.B, n, w, h int) *Split {
	dir := b.TempDir()
	if err := WriteMeta(dir, &Meta{Name: "bench", Classes: []string{"a", "b", "c"}, IgnoreLabel: 255, AnomalyLabel: 254}); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < n; i++ {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := uint8(x/7 + y/5 + r.IntN(24))
				img.SetNRGBA(x, y, color.NRGBA{v, v / 2, 255 - v, 255})
			}
		}
		id := fmt.Sprintf("%03d", i)
		writePNG(b, filepath.Join(dir, "train", "images", id+".png"), img)
		writeGray8(b, filepath.Join(dir, "train", "labels", id+".png"), w, h, stripes(w, h, 0, 0, 1, 1, 2, 2))
	}
	d, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	s, err := d.Split("train")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkLoader measures images/s for 256×512 (H×W) crops with the
// paper's augmentation (scale [0.5, 2], flip, colour jitter), from 256×512
// and from Cityscapes-like 512×1024 PNGs, batch 8.
func BenchmarkLoader(b *testing.B) {
	for _, src := range []struct{ h, w int }{{256, 512}, {512, 1024}} {
		s := benchSplit(b, 16, src.w, src.h)
		for _, tc := range []struct {
			workers int
			cache   bool
		}{{1, false}, {2, false}, {2, true}} {
			name := fmt.Sprintf("src=%dx%d/workers=%d,cache=%v", src.h, src.w, tc.workers, tc.cache)
			b.Run(name, func(b *testing.B) {
				l, err := NewLoader(s, LoaderConfig{BatchSize: 8, Workers: tc.workers, Shuffle: true, Seed: 1, Cache: tc.cache,
					Augment: &Augment{Flip: true, MinScale: 0.5, MaxScale: 2, CropH: 256, CropW: 512, Jitter: 0.2}})
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				t0, c0 := time.Now(), cpuTime()
				images := 0
				for i := 0; i < b.N; i++ {
					it := l.Epoch(context.Background(), i)
					for {
						bt, err := it.Next()
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						images += bt.N
					}
					it.Close()
				}
				// images/cpu-s is robust to other processes sharing the
				// machine: the wall-clock rate on an idle machine is about
				// images/cpu-s times the number of busy workers.
				b.ReportMetric(float64(images)/time.Since(t0).Seconds(), "images/s")
				if c := cpuTime() - c0; c > 0 {
					b.ReportMetric(float64(images)/c.Seconds(), "images/cpu-s")
				}
			})
		}
	}
}

// BenchmarkDecodePNG isolates decoding of one 512×1024 (H×W) RGB PNG.
func BenchmarkDecodePNG(b *testing.B) {
	s := benchSplit(b, 1, 1024, 512)
	for i := 0; i < b.N; i++ {
		if _, err := ReadImage(s.Entries[0].Image); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAugment isolates the fused scale/flip/crop/jitter pass.
func BenchmarkAugment(b *testing.B) {
	s := synthSample(1024, 512)
	a := &Augment{Flip: true, MinScale: 0.5, MaxScale: 2, CropH: 256, CropW: 512, Jitter: 0.2}
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		a.Apply(s, sampleRNG(1, 0, i), 255)
	}
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(c.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
