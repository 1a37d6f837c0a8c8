package seg

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
)

// trainedTestModel returns a model after a few Adam steps, so that weights
// and batch-norm statistics differ from their initial values.
func trainedTestModel(t *testing.T) *Model {
	t.Helper()
	m := newTestModel(t, testConfig(3), 11)
	opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(1e-2, nn.Parameters(m)...)}, optim.DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	x := randImages(rand.New(rand.NewPCG(11, 11)), 2, 16, 32)
	labels := make([]int32, 2*16*32)
	for i := range labels {
		labels[i] = int32(i % 3)
	}
	for range 3 {
		opt.ZeroGrad()
		autograd.CrossEntropy(m.Forward(autograd.Const(x)), labels, 255).Backward()
		opt.Step()
	}
	return m
}

func testInfo(m *Model) BundleInfo {
	info := NewInfo(m, []string{"a", "b", "c"}, "msp", "closed")
	info.Dataset = "unit"
	th := float32(0.25)
	info.Threshold = &th
	return info
}

func TestBundleRoundTrip(t *testing.T) {
	m := trainedTestModel(t)
	dir := t.TempDir()
	info := testInfo(m)
	if err := SaveBundle(dir, m, info); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, got := nn.StateDict(m), nn.StateDict(b.Model)
	if len(want) != len(got) {
		t.Fatalf("%d tensors, want %d", len(got), len(want))
	}
	for k, w := range want {
		if !equalData(w, got[k]) {
			t.Errorf("tensor %q differs after the round trip", k)
		}
	}
	x := randImages(rand.New(rand.NewPCG(12, 12)), 1, 21, 19)
	l1, _ := m.Logits(x)
	l2, _ := b.Model.Logits(x)
	if !equalData(l1, l2) {
		t.Error("logits differ after the round trip")
	}
	if b.Info.Score != "msp" || b.Info.Temperature != 2 || b.Info.Threshold == nil || *b.Info.Threshold != 0.25 ||
		b.Info.Classes[2] != "c" || b.Info.Config.Growth != m.Config().Growth || b.Info.Mean != info.Mean {
		t.Errorf("info after round trip: %+v", b.Info)
	}
	if b.Model.Training() {
		t.Error("a loaded model should be in eval mode")
	}
	// SaveInfo rewrites model.json only.
	b.Info.Threshold = nil
	b.Info.CalibratedOn = "none"
	if err := b.SaveInfo(); err != nil {
		t.Fatal(err)
	}
	b2, err := LoadBundle(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b2.Info.Threshold != nil || b2.Info.CalibratedOn != "none" {
		t.Errorf("SaveInfo not persisted: %+v", b2.Info)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("bundle dir holds %d files, want 2 (temporary files left?)", len(ents))
	}
}

func TestLoadBundleErrors(t *testing.T) {
	m := trainedTestModel(t)
	good := t.TempDir()
	if err := SaveBundle(good, m, testInfo(m)); err != nil {
		t.Fatal(err)
	}
	infoRaw, _ := os.ReadFile(filepath.Join(good, InfoFile))
	weights, _ := os.ReadFile(filepath.Join(good, WeightsFile))

	other := newTestModel(t, func() Config { c := testConfig(3); c.Growth = 6; return c }(), 1)
	otherDir := t.TempDir()
	if err := SaveBundle(otherDir, other, testInfo(other)); err != nil {
		t.Fatal(err)
	}
	otherWeights, _ := os.ReadFile(filepath.Join(otherDir, WeightsFile))

	nanSD := nn.StateDict(trainedTestModel(t))
	nanSD["decoder.logits.bias"].Data[0] = float32(math.NaN())
	nanDir := t.TempDir()
	if err := checkpoint.Save(filepath.Join(nanDir, WeightsFile), nanSD, nil); err != nil {
		t.Fatal(err)
	}
	nanWeights, _ := os.ReadFile(filepath.Join(nanDir, WeightsFile))

	editInfo := func(f func(map[string]any)) []byte {
		var v map[string]any
		if err := json.Unmarshal(infoRaw, &v); err != nil {
			t.Fatal(err)
		}
		f(v)
		b, _ := json.Marshal(v)
		return b
	}
	cases := []struct {
		name          string
		info, weights []byte // nil = file absent
		want          error
		mention       string
	}{
		{"no info", nil, weights, ErrBundle, InfoFile},
		{"no weights", infoRaw, nil, ErrBundle, WeightsFile},
		{"bad json", []byte("{\"config\": "), weights, ErrBundle, InfoFile},
		{"unknown field", editInfo(func(v map[string]any) { v["colour"] = 1 }), weights, ErrBundle, "colour"},
		{"bad config", editInfo(func(v map[string]any) { v["config"].(map[string]any)["growth"] = 0 }), weights, ErrConfig, InfoFile},
		{"class count", editInfo(func(v map[string]any) { v["classes"] = []string{"a"} }), weights, ErrBundle, InfoFile},
		{"zero std", editInfo(func(v map[string]any) { v["std"] = []float32{0, 1, 1} }), weights, ErrBundle, "std"},
		{"short mean", editInfo(func(v map[string]any) { v["mean"] = []float32{0.5, 0.5} }), weights, ErrBundle, "mean has 2 values, want 3"},
		{"long std", editInfo(func(v map[string]any) { v["std"] = []float32{1, 1, 1, 1} }), weights, ErrBundle, "std has 4 values"},
		{"truncated weights", infoRaw, weights[:len(weights)/2], ErrBundle, WeightsFile + " is damaged"},
		{"garbage weights", infoRaw, []byte("not a safetensors file at all"), ErrBundle, WeightsFile + " is damaged"},
		{"other architecture", infoRaw, otherWeights, ErrBundle, "does not match the config"},
		{"nan weights", infoRaw, nanWeights, ErrBundle, "NaN"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		if c.info != nil {
			os.WriteFile(filepath.Join(dir, InfoFile), c.info, 0o644)
		}
		if c.weights != nil {
			os.WriteFile(filepath.Join(dir, WeightsFile), c.weights, 0o644)
		}
		_, err := LoadBundle(dir)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.mention)
		}
	}
}

func TestSaveBundleValidates(t *testing.T) {
	m := newTestModel(t, testConfig(3), 1)
	info := testInfo(m)
	info.Classes = info.Classes[:2]
	if err := SaveBundle(t.TempDir(), m, info); !errors.Is(err, ErrBundle) {
		t.Errorf("err = %v, want ErrBundle", err)
	}
}
