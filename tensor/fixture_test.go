package tensor

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// fixtureCase is one entry of testdata/kernels.json, written by
// testdata/gen_kernels.py from PyTorch.
type fixtureCase struct {
	Name    string             `json:"name"`
	Op      string             `json:"op"`
	Params  map[string]float64 `json:"params"`
	Tensors map[string]struct {
		Shape  []int `json:"shape"`
		Offset int   `json:"offset"`
	} `json:"tensors"`
	data []float32
}

// t returns the named fixture tensor, failing the test if it is missing.
func (c *fixtureCase) t(tb testing.TB, key string) *Tensor {
	tb.Helper()
	e, ok := c.Tensors[key]
	if !ok {
		tb.Fatalf("%s: fixture has no tensor %q", c.Name, key)
	}
	n := checkShape("fixture", e.Shape)
	return FromData(append([]float32(nil), c.data[e.Offset:e.Offset+n]...), e.Shape...)
}

func (c *fixtureCase) has(key string) bool { _, ok := c.Tensors[key]; return ok }

func (c *fixtureCase) p(key string) int { return int(c.Params[key]) }

func loadFixtures(tb testing.TB) []*fixtureCase {
	tb.Helper()
	raw, err := os.ReadFile("testdata/kernels.bin")
	if err != nil {
		tb.Fatal(err)
	}
	data := make([]float32, len(raw)/4)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	idx, err := os.ReadFile("testdata/kernels.json")
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Cases []*fixtureCase `json:"cases"`
	}
	if err := json.Unmarshal(idx, &file); err != nil {
		tb.Fatal(err)
	}
	for _, c := range file.Cases {
		c.data = data
	}
	if len(file.Cases) == 0 {
		tb.Fatal("no fixture cases")
	}
	return file.Cases
}

// fixtureTol is the accepted error relative to the reference tensor's
// largest magnitude: float32 kernels that sum in a different order than
// PyTorch differ by a few ulps of the largest terms.
const fixtureTol = 1e-5

// assertClose fails unless got and want have the same shape and every
// element satisfies |got − want| <= tol·(|want| + max|want|).
func assertClose(tb testing.TB, what string, got, want *Tensor, tol float64) {
	tb.Helper()
	assertCloseFloor(tb, what, got, want, tol, 0)
}

// assertCloseFloor is assertClose with the scale max|want| raised to at
// least floor: for sums of O(1) terms that cancel, the rounding error is
// set by the terms, not by the small result.
func assertCloseFloor(tb testing.TB, what string, got, want *Tensor, tol, floor float64) {
	tb.Helper()
	if !SameShape(got, want) {
		tb.Fatalf("%s: shape %v, want %v", what, got.Shape, want.Shape)
	}
	scale := floor
	for _, v := range want.Data {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want.Data {
		g, w := float64(got.Data[i]), float64(want.Data[i])
		if math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > tol*(math.Abs(w)+scale) {
			tb.Fatalf("%s: element %d = %g, want %g (tolerance %g of scale %g)", what, i, g, w, tol, scale)
		}
	}
}

func TestKernelsAgainstPyTorch(t *testing.T) {
	seen := map[string]int{}
	for _, c := range loadFixtures(t) {
		seen[c.Op]++
		t.Run(c.Name, func(t *testing.T) {
			x := c.t(t, "x")
			check := func(what string, got *Tensor) {
				t.Helper()
				assertClose(t, fmt.Sprintf("%s %s", c.Name, what), got, c.t(t, what), fixtureTol)
			}
			switch c.Op {
			case "conv2d", "conv_transpose2d":
				w, gy := c.t(t, "w"), c.t(t, "gy")
				var b *Tensor
				if c.has("b") {
					b = c.t(t, "b")
				}
				o := ConvOpts{Stride: c.p("stride"), Pad: c.p("pad"), Dilation: c.p("dilation")}
				var gx, gw, gb *Tensor
				if c.Op == "conv2d" {
					check("y", Conv2d(x, w, b, o))
					gx, gw, gb = Conv2dBackward(x, w, gy, o, true)
					if nogx, _, _ := Conv2dBackward(x, w, gy, o, false); nogx != nil {
						t.Fatal("Conv2dBackward returned gx with needGX false")
					}
				} else {
					check("y", ConvTranspose2d(x, w, b, o, c.p("out_pad")))
					gx, gw, gb = ConvTranspose2dBackward(x, w, gy, o, c.p("out_pad"), true)
				}
				check("gx", gx)
				check("gw", gw)
				check("gb", gb)
			case "maxpool2d":
				k, s, p := c.p("k"), c.p("stride"), c.p("pad")
				y, arg := MaxPool2d(x, k, s, p)
				check("y", y)
				check("gx", MaxPool2dBackward(c.t(t, "gy"), arg, x.Shape))
			case "avgpool2d":
				k, s, p := c.p("k"), c.p("stride"), c.p("pad")
				check("y", AvgPool2d(x, k, s, p))
				check("gx", AvgPool2dBackward(c.t(t, "gy"), x.Shape, k, s, p))
			case "adaptive_avgpool2d":
				check("y", AdaptiveAvgPool2d(x, c.p("oh"), c.p("ow")))
				check("gx", AdaptiveAvgPool2dBackward(c.t(t, "gy"), x.Shape))
			case "bilinear":
				check("y", ResizeBilinear(x, c.p("oh"), c.p("ow")))
				check("gx", ResizeBilinearBackward(c.t(t, "gy"), x.Shape[2], x.Shape[3]))
			case "squeeze2d":
				f := c.p("f")
				y := Squeeze2d(x, f)
				check("y", y)
				assertClose(t, c.Name+" unsqueeze", Unsqueeze2d(y, f), x, 0)
			case "softmax":
				check("y", SoftmaxChannels(x))
				check("ly", LogSoftmaxChannels(x))
			case "elementwise":
				check("exp", Exp(x))
				check("tanh", Tanh(x))
				check("sigmoid", Sigmoid(x))
				check("softplus", Softplus(x))
				check("relu", Relu(x))
				check("leaky", LeakyRelu(x, 0.1))
				check("log", Log(AddScalar(Map(x, func(v float32) float32 { return float32(math.Abs(float64(v))) }), 0.01)))
			default:
				t.Fatalf("unknown fixture op %q", c.Op)
			}
		})
	}
	for _, op := range []string{"conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "adaptive_avgpool2d", "bilinear", "squeeze2d", "softmax", "elementwise"} {
		if seen[op] == 0 {
			t.Errorf("fixtures have no %s case", op)
		}
	}
}
