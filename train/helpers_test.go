package train

import (
	"bytes"
	"errors"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/nflowjs/nflowjs/autograd"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

func TestRNGRoundTrip(t *testing.T) {
	p := rand.NewPCG(7, 8)
	r := rand.New(p)
	r.Uint64()
	s, err := EncodeRNG(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeRNG(s)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := r.Uint64(), rand.New(q).Uint64(); a != b {
		t.Errorf("decoded generator draws %d, want %d", b, a)
	}
	if _, err := DecodeRNG("!!"); err == nil {
		t.Error("bad base64 accepted")
	}
	if _, err := DecodeRNG("AAAA"); err == nil {
		t.Error("short state accepted")
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), StateFile)
	st := State{Groups: map[string]map[string]*tensor.Tensor{
		"model": {"a.weight": tensor.FromData([]float32{1, 2, 3}, 3)},
		"flow":  {"x": tensor.Full(4, 2, 2)},
	}, Meta: map[string]string{MetaEpoch: "3"}}
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta[MetaEpoch] != "3" || got.Groups["model"]["a.weight"].Data[2] != 3 || got.Groups["flow"]["x"].Data[3] != 4 {
		t.Errorf("round trip: %+v", got)
	}
	if err := SaveState(path, State{Groups: map[string]map[string]*tensor.Tensor{"a/b": {}}}); err == nil {
		t.Error("group name with a slash accepted")
	}
	os.WriteFile(path, []byte("garbage"), 0o644)
	if _, err := LoadState(path); err == nil {
		t.Error("garbage state accepted")
	}
}

func TestLogKeepAndNull(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFile)
	l, err := OpenLog(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for e := 1; e <= 3; e++ {
		if err := l.Write(map[string]any{"epoch": e, "loss": math.NaN()}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	l, err = OpenLog(path, func(r map[string]any) bool { return r["epoch"].(float64) <= 2 })
	if err != nil {
		t.Fatal(err)
	}
	l.Write(map[string]any{"epoch": 3, "loss": 0.5})
	l.Close()
	rows, err := ReadLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0]["loss"] != nil || rows[2]["loss"] != 0.5 {
		t.Errorf("rows %v", rows)
	}
}

func TestPlotCurves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss.png")
	err := PlotCurves(path, "t", "epoch", "loss",
		Series{Name: "train", X: []float64{1, 2, 3}, Y: []float64{2, 1, math.NaN()}},
		Series{Name: "val", X: []float64{1, 2, 3}, Y: []float64{2.5, 1.5, 1}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Error("not a PNG")
	}
	if err := PlotCurves(path, "t", "x", "y", Series{Name: "nan", X: []float64{1}, Y: []float64{math.NaN()}}); err == nil {
		t.Error("plot without finite points accepted")
	}
}

// TestOptimizerGroups stores two optimizers in one state (the joint
// trainer's classifier and flow optimizers) and restores each from its own
// group and step counters.
func TestOptimizerGroups(t *testing.T) {
	newOpt := func(name string, steps int) optim.Optimizer {
		p := autograd.Param(tensor.FromData([]float32{1, 2}, 2), name)
		o, err := optim.NewAdam([]optim.ParamGroup{optim.Group(0.1, p)}, optim.DefaultAdamConfig())
		if err != nil {
			t.Fatal(err)
		}
		for range steps {
			p.Grad = tensor.FromData([]float32{0.5, -1}, 2)
			o.Step()
		}
		return o
	}
	a, b := newOpt("w", 1), newOpt("w", 3)
	path := filepath.Join(t.TempDir(), StateFile)
	var st State
	st.PutOptimizerGroup("optim", a)
	st.PutOptimizerGroup("flowoptim", b)
	if st.Meta["optim/optim.step.w"] != "1" || st.Meta["flowoptim/optim.step.w"] != "3" {
		t.Fatalf("step counters %v", st.Meta)
	}
	if err := SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	ra, rb := newOpt("w", 0), newOpt("w", 0)
	if err := got.RestoreOptimizerGroup("optim", ra); err != nil {
		t.Fatal(err)
	}
	if err := got.RestoreOptimizerGroup("flowoptim", rb); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ want, got optim.Optimizer }{{a, ra}, {b, rb}} {
		w, g := c.want.State(), c.got.State()
		if w.Steps["w"] != g.Steps["w"] {
			t.Errorf("steps %v, want %v", g.Steps, w.Steps)
		}
		for k, tw := range w.Tensors {
			for i, v := range tw.Data {
				if g.Tensors[k].Data[i] != v {
					t.Errorf("%s[%d] = %v, want %v", k, i, g.Tensors[k].Data[i], v)
				}
			}
		}
	}
	got.Meta["flowoptim/optim.step.w"] = "x"
	if err := got.RestoreOptimizerGroup("flowoptim", rb); err == nil {
		t.Error("bad step counter accepted")
	}
}

func TestPlotPanels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss.png")
	x := []float64{1, 2, 3}
	nan := []float64{math.NaN(), math.NaN(), math.NaN()}
	err := PlotPanels(path, 150,
		Panel{Title: "a", XLabel: "step", Series: []Series{{X: x, Y: []float64{3, 2, 1}, Color: color.RGBA{B: 200, A: 255}}}},
		Panel{Title: "empty", Series: []Series{{X: x, Y: nan}}},
		Panel{Title: "b", Series: []Series{{Name: "b", X: x, Y: []float64{1, math.Inf(1), 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Error("not a PNG")
	}
	err = PlotPanels(path, 150, Panel{Title: "empty", Series: []Series{{X: x, Y: nan}}})
	if !errors.Is(err, ErrNoFinitePoints) {
		t.Errorf("all-NaN panels: %v, want ErrNoFinitePoints", err)
	}
	if b2, _ := os.ReadFile(path); !bytes.Equal(b, b2) {
		t.Error("a failed plot replaced the file")
	}
}

func TestClassLabelsAndArgmax(t *testing.T) {
	got := ClassLabels([]uint8{0, 2, 3, 253, 254, 255}, 3, 255)
	want := []int32{0, 2, 255, 255, 255, 255}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ClassLabels = %v, want %v", got, want)
		}
	}
	// Two pixels, three classes: argmax 2 then 0 (first maximum on ties).
	l := tensor.FromData([]float32{1, 5, 0, 5, 3, 1}, 1, 3, 1, 2)
	if a := Argmax(l); a[0] != 2 || a[1] != 0 {
		t.Errorf("Argmax = %v", a)
	}
}
