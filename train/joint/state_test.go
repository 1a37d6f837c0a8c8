package joint

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nflowjs/nflowjs/checkpoint"
	"github.com/nflowjs/nflowjs/models/flow"
	"github.com/nflowjs/nflowjs/nn"
	"github.com/nflowjs/nflowjs/optim"
	"github.com/nflowjs/nflowjs/tensor"
)

// TestTrainStateLayout checks the layout of RUN/state.safetensors (tensors
// "model/…" and "optim/…", step counters "optim/optim.step.…", the step
// and configuration metadata), which runs written before the state moved
// onto train.State share, and that load restores what save stored.
func TestTrainStateLayout(t *testing.T) {
	newState := func(steps int) *trainState {
		net := newTinyNet(3, 5)
		opt, err := optim.NewAdam([]optim.ParamGroup{optim.Group(0.01, nn.Parameters(net)...)}, optim.DefaultAdamConfig())
		if err != nil {
			t.Fatal(err)
		}
		for range steps {
			for _, p := range nn.Parameters(net) {
				g := tensor.Full(0.5, p.Value.Shape...)
				p.Grad = g
			}
			opt.Step()
		}
		return &trainState{clf: net, clfOpt: opt}
	}
	path := filepath.Join(t.TempDir(), StateFile)
	saved := newState(2)
	if err := saved.save(path, 7, `{"a":1}`); err != nil {
		t.Fatal(err)
	}
	tensors, meta, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for k := range tensors {
		if !strings.HasPrefix(k, "model/") && !strings.HasPrefix(k, "optim/") {
			t.Errorf("tensor %q outside the model/ and optim/ groups", k)
		}
	}
	counters := 0
	for k := range meta {
		if strings.HasPrefix(k, "optim/optim.step.") {
			counters++
		}
	}
	if counters == 0 || meta["joint.step"] != "7" || meta["joint.config"] != `{"a":1}` {
		t.Errorf("metadata %v", meta)
	}
	loaded := newState(0)
	step, cfg, err := loaded.load(path)
	if err != nil || step != 7 || cfg != `{"a":1}` {
		t.Fatalf("load = %d, %q, %v", step, cfg, err)
	}
	want, got := nn.StateDict(saved.clf), nn.StateDict(loaded.clf)
	for k, tw := range want {
		for i, v := range tw.Data {
			if got[k].Data[i] != v {
				t.Fatalf("%s[%d] = %v, want %v", k, i, got[k].Data[i], v)
			}
		}
	}
	ws, gs := saved.clfOpt.State(), loaded.clfOpt.State()
	for k, n := range ws.Steps {
		if gs.Steps[k] != n {
			t.Errorf("optimizer steps of %s = %d, want %d", k, gs.Steps[k], n)
		}
	}
	// A flow is expected but the state holds none.
	loaded.fl = tinyFlow(flow.RealNVP, 1)
	if _, _, err := loaded.load(path); err == nil {
		t.Error("state without a flow accepted for a run with a flow")
	}
}

// TestOpenLogTrims checks that a resumed run's log keeps the rows up to
// the restored step, byte for byte, and appends after them.
func TestOpenLogTrims(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFile)
	l, rows, err := openLog(path, 0)
	if err != nil || len(rows) != 0 {
		t.Fatalf("fresh log: %v rows %v", err, rows)
	}
	for s := 1; s <= 5; s++ {
		if err := l.Write(LogRow{Step: s, CE: 1 / float64(s), Neg: math.NaN(), BPD: 4, LR: 1e-3, FlowLR: math.NaN()}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	before, _ := os.ReadFile(path)
	l, rows, err = openLog(path, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[2].Step != 3 || rows[2].CE != 1.0/3 || !math.IsNaN(rows[2].Neg) || !math.IsNaN(rows[0].FlowLR) {
		t.Errorf("kept rows %+v", rows)
	}
	if err := l.Write(LogRow{Step: 4, CE: 2}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	after, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(before), "\n")
	if kept := strings.Join(lines[:3], ""); !strings.HasPrefix(string(after), kept) {
		t.Errorf("kept rows changed:\n%s\nwant prefix\n%s", after, kept)
	}
	if got, _ := readLog(path); len(got) != 4 || got[3].CE != 2 {
		t.Errorf("log after resume: %+v", got)
	}
}
