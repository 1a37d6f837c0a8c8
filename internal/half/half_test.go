package half

import (
	"math"
	"testing"
)

// Every finite half survives bits → value → bits, and Round is the
// identity on halves.
func TestRoundTripAllHalves(t *testing.T) {
	for b := 0; b < 1<<16; b++ {
		h := uint16(b)
		v := ToFloat64(h)
		if math.IsNaN(v) {
			continue
		}
		if Round(v) != v {
			t.Fatalf("Round(%v) = %v (bits %#04x)", v, Round(v), h)
		}
		if got := FromFloat64(v); got != h && !(v == 0 && got&0x7fff == 0) {
			t.Fatalf("FromFloat64(%v) = %#04x, want %#04x", v, got, h)
		}
	}
}

// Values NumPy gives for np.float16(x) (x a float64), and the midpoint
// ties that go to the even neighbour.
func TestRoundKnownValues(t *testing.T) {
	cases := []struct{ in, want float64 }{
		{0.1, 0.0999755859375},
		{-0.01, -0.01000213623046875},
		{1.01, 1.009765625},
		{4096 / 1.02, 4016},
		{1 + 0x1p-11, 1},            // tie → even (1)
		{1 + 3*0x1p-11, 1 + 0x1p-9}, // tie → even
		{0x1p-25, 0},                // half of the smallest subnormal → 0
		{3 * 0x1p-26, 0x1p-24},      // above half → smallest subnormal
		{65519, 65504}, {65520, math.Inf(1)}, {-70000, math.Inf(-1)},
	}
	for _, c := range cases {
		if got := Round(c.in); got != c.want {
			t.Errorf("Round(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestOpRoundsThroughFloat32(t *testing.T) {
	a, b := Round(0.3), Round(-0.01)
	if got, want := Op(a, b, '-'), Round(float64(float32(a)-float32(b))); got != want {
		t.Fatalf("Op = %v, want %v", got, want)
	}
}
