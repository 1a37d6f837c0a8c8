package bench

import (
	"math"
	"testing"

	"github.com/nflowjs/nflowjs/nn"
)

func TestSegnetRefMatchesTorchLayout(t *testing.T) {
	b, err := newSegnetBench()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.2.weight", "body.2.bias",
		"body.3.weight", "body.3.bias", "body.4.weight", "body.4.bias", "head.weight", "head.bias"}
	named := nn.NamedParameters(b.model)
	if len(named) != len(want) {
		t.Fatalf("%d parameters, want %d", len(named), len(want))
	}
	for i, p := range named {
		if p.Name != want[i] {
			t.Errorf("parameter %d: %s, want %s", i, p.Name, want[i])
		}
	}
	// PyTorch's SegNetRef has 114,602 parameters (counted in torch).
	if n := nn.NumParams(b.model); n != 114602 {
		t.Errorf("%d parameters, want 114602", n)
	}
	if s := b.forward().Shape; s[0] != 8 || s[1] != 10 || s[2] != 64 || s[3] != 64 {
		t.Fatalf("output shape %v", s)
	}
	if testing.Short() {
		return
	}
	// Random labels: the loss starts near ln 10 and Adam lowers it.
	first := b.step()
	var last float32
	for i := 0; i < 5; i++ {
		last = b.step()
	}
	if math.Abs(float64(first)-math.Log(10)) > 0.2 || !(last < first) {
		t.Errorf("loss %v -> %v, want ≈ln 10 and decreasing", first, last)
	}
}

// BenchmarkSegnetRef times the segnet-ref workload under `go test -bench`,
// e.g. go test -run XXX -bench SegnetRef -cpuprofile cpu.out ./bench
func BenchmarkSegnetRef(b *testing.B) {
	s, err := newSegnetBench()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("train-step", func(b *testing.B) {
		for b.Loop() {
			s.step()
		}
	})
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			s.forward()
		}
	})
}
