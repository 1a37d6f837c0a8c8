package train

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

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
