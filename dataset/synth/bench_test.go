package synth

import (
	"context"
	"testing"
)

// BenchmarkRender renders images at the default sizes (no PNG encoding) and
// reports images per second on one goroutine.
func BenchmarkRender(b *testing.B) {
	for _, kind := range []string{"road", "aerial"} {
		cfg, _ := Defaults(kind)
		b.Run(kind, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Render(kind, 1, "test", i, cfg.Height, cfg.Width); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkGenerate writes whole small datasets (render + PNG encode + disk)
// with all cores, the rate `nflowjs data gen` achieves.
func BenchmarkGenerate(b *testing.B) {
	for _, kind := range []string{"road", "aerial"} {
		b.Run(kind, func(b *testing.B) {
			cfg, _ := Defaults(kind)
			cfg.Train, cfg.Val, cfg.Test = 16, 8, 8
			n := 0
			for i := 0; i < b.N; i++ {
				cfg.Out = b.TempDir()
				if err := Generate(context.Background(), cfg); err != nil {
					b.Fatal(err)
				}
				n += cfg.Train + cfg.Val + cfg.Test
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
