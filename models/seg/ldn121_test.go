package seg

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/internal/detfill"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/tensor"
)

// The ldn121 preset's encoder is torchvision's densenet121.features: with
// every encoder tensor filled under its torchvision name (the import
// mapping, inverted), the last dense block's output equals PyTorch's
// (testdata/gen_densenet.py) to 1e-5 of its largest value.
func TestLDN121EncoderMatchesDenseNet121(t *testing.T) {
	raw, err := os.ReadFile("testdata/densenet.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Shape  []int
		MaxAbs float64 `json:"max_abs"`
		Values []float64
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	cfg, _ := PresetConfig("ldn121", 19)
	m, err := New(cfg, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	nn.Eval(m)
	filled := 0
	for name, p := range nn.StateDict(m) {
		if !strings.HasPrefix(name, "encoder.") || strings.HasSuffix(name, "num_batches_tracked") {
			continue
		}
		torchName := "features." + strings.TrimPrefix(name, "encoder.")
		if mapped, ok := denseNetName(torchName); !ok || mapped != name {
			t.Fatalf("%s does not map back to %s", torchName, name)
		}
		detfill.Fill(torchName, p)
		filled++
	}
	x := tensor.New(1, 3, 64, 96)
	for i, v := range detfill.Uniform("input", len(x.Data)) {
		x.Data[i] = float32(v)
	}
	defer autograd.NoGrad()()
	_, _, top := m.enc.forward(autograd.Const(x))
	if !tensor.ShapeEqual(top.Value.Shape, fx.Shape) {
		t.Fatalf("top features %v, torchvision %v", top.Value.Shape, fx.Shape)
	}
	worst := 0.0
	for i, v := range fx.Values {
		worst = math.Max(worst, math.Abs(float64(top.Value.Data[i])-v))
	}
	t.Logf("%d encoder tensors; max |diff| %.3g of max %.3g", filled, worst, fx.MaxAbs)
	if worst > 1e-5*fx.MaxAbs {
		t.Fatalf("encoder output differs from densenet121's by %.3g", worst)
	}
}

// A densenet121 classification state dict imports into ldn121: the
// encoder and norm5 load, the ImageNet classifier is reported unused, the
// decoder starts fresh; a truncated one is refused naming what is missing.
func TestImportLDN121(t *testing.T) {
	cfg, _ := PresetConfig("ldn121", 5)
	src, _ := New(cfg, rand.New(rand.NewPCG(2, 2)))
	sd := map[string]*tensor.Tensor{}
	for name, p := range nn.StateDict(src) {
		switch {
		case strings.HasPrefix(name, "encoder."):
			sd["features."+strings.TrimPrefix(name, "encoder.")] = p
		case strings.HasPrefix(name, "decoder.spp.norm."):
			sd["features.norm5."+strings.TrimPrefix(name, "decoder.spp.norm.")] = p
		}
	}
	sd["classifier.weight"], sd["classifier.bias"] = tensor.New(1000, 1024), tensor.New(1000)
	var rep ImportReport
	m, err := importLDN121(sd, 5, &rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Unused) != 2 || rep.Fresh == 0 {
		t.Errorf("report %+v", rep)
	}
	a, b := nn.StateDict(m)["encoder.denseblock3.denselayer7.conv2.weight"], nn.StateDict(src)["encoder.denseblock3.denselayer7.conv2.weight"]
	if a.Data[5] != b.Data[5] {
		t.Error("encoder weight not loaded")
	}
	delete(sd, "features.conv0.weight")
	sd["features.extra"] = tensor.New(2)
	if _, err := importLDN121(sd, 5, &ImportReport{}); err == nil ||
		!strings.Contains(err.Error(), "1 missing: encoder.conv0.weight") || !strings.Contains(err.Error(), "1 unexpected: features.extra") {
		t.Errorf("truncated: %v", err)
	}
}
