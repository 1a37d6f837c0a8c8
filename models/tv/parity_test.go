package tv

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/internal/detfill"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// Each architecture, with the weights of testdata/gen_tv.py's formula on
// its 256×512 input, gives torchvision's logits within 1e-4 of
// max|logit| at 4096 sampled positions (torch 1.13, torchvision 0.14).
func TestLogitsMatchTorchvision(t *testing.T) {
	if testing.Short() {
		t.Skip("three ResNet forwards at 256x512")
	}
	raw, err := os.ReadFile("testdata/parity.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Models map[string]struct {
			Shape  []int
			MaxAbs float64 `json:"max_abs"`
			Index  []int
			Value  []float64
		}
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	in := detfill.Uniform("input", 3*256*512)
	x := tensor.New(1, 3, 256, 512)
	for i, v := range in {
		x.Data[i] = float32(v)
	}
	for _, arch := range Archs() {
		want, ok := fx.Models[arch]
		if !ok {
			t.Fatalf("%s missing from parity.json", arch)
		}
		m, err := New(arch, 21, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		sd := map[string]*tensor.Tensor{}
		for name, p := range nn.StateDict(m) {
			if strings.HasSuffix(name, "num_batches_tracked") {
				continue
			}
			detfill.Fill(name, p)
			sd[name] = p
		}
		y, err := m.Logits(x)
		if err != nil {
			t.Fatal(err)
		}
		tol := 1e-4 * want.MaxAbs
		worst := 0.0
		for k, idx := range want.Index {
			worst = max(worst, math.Abs(float64(y.Data[idx])-want.Value[k]))
		}
		var maxAbs float64
		for _, v := range y.Data {
			maxAbs = max(maxAbs, math.Abs(float64(v)))
		}
		t.Logf("%s: max |diff| %.3g = %.2g of max|logit| %.4g (torch %.4g)", arch, worst, worst/want.MaxAbs, maxAbs, want.MaxAbs)
		if worst > tol || math.Abs(maxAbs-want.MaxAbs) > tol {
			t.Errorf("%s: logits differ from torchvision's by %.3g (tolerance %.3g)", arch, worst, tol)
		}
	}
}
